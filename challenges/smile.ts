import { defineExpression } from './expression';

/** Smile: a neutral face, a broad smile held briefly, neutral again. Reads the engine's `smile` score (0..1). */
export default defineExpression('smile', ['smile', 'mouth'], {
  level: ({ face }) => face.smile,
  validatedOn: { clip: 'liveportrait_d0', passesAtS: 2.73 },
  relaxed: { value: 0.25, unit: 'score', why: 'neutral faces score 0–0.2 on our clips; a fading smile drops below 0.25 within a frame or two' },
  on: { value: 0.5, unit: 'score', why: 'broad smiles score 0.6–0.85 (liveportrait_d0 1.0–2.0 s); talking peaks rarely hold above 0.5' },
  keep: { value: 0.4, unit: 'score', why: 'hysteresis: a held smile wobbles by ±0.1 between frames' },
  relaxedFor: { value: 0.3, unit: 'seconds', why: 'start from a visibly neutral face, not mid-expression' },
  onFor: { value: 0.5, unit: 'seconds', why: 'a deliberate smile lasts ≥ 1 s; talking makes shorter "happy" flickers' },
});
