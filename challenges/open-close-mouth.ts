import { defineExpression } from './expression';

/** Open the mouth wide, then close it. Reads mouth openness: inner-lip gap over face height. */
export default defineExpression('open-close-mouth', ['mouth', 'smile'], {
  level: ({ face }) => face.mouthOpenness,
  validatedOn: { clip: 'liveportrait_d18', passesAtS: 3.27 },
  // A toothy grin parts the lips by ~0.1 too (liveportrait_d0): that is a smile, not an open mouth.
  accepts: ({ face }) => face.smile < 0.5,
  relaxed: { value: 0.04, unit: 'ratio', why: 'closed lips read 0–0.03 of face height; 0.04 allows for mesh jitter' },
  on: { value: 0.11, unit: 'ratio', why: 'a deliberately open mouth reads 0.12–0.16 (liveportrait_d18); speech mostly stays under 0.1' },
  keep: { value: 0.075, unit: 'ratio', why: 'hysteresis: an open mouth relaxes to ~0.08 while still open (d18 2.4–2.9 s)' },
  relaxedFor: { value: 0.2, unit: 'seconds', why: 'start with the mouth closed' },
  onFor: { value: 0.2, unit: 'seconds', why: 'held for a few frames: syllables open the mouth for less than ~150 ms' },
});
