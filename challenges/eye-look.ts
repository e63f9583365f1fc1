import type { ChallengeDefinition, ChallengeInput, Validation } from '../src/liveness/challenge-definition';
import { defineExpression, type ExpressionState } from './expression';

/**
 * Looking aside with the eyes only, from MediaPipe's eyeLook* blendshapes (0..1). Their Left/Right are the
 * subject's own: a look to the own left is the left eye looking out and the right eye looking in (liveportrait_d0
 * 0.47–1.07 s, irises to the image's right: 0.91–0.96 both). Both eyes must agree (the lower of the two counts), so
 * crossed eyes (liveportrait_d6: both eyes looking in, up to 0.98) are not a look aside.
 */
const T = {
  relaxed: { value: 0.3, unit: 'score', why: 'eyes on the camera read ≤ 0.25 on every clip (idle, talking, replays)' },
  on: {
    value: 0.6,
    unit: 'score',
    why: 'side glances read 0.78–0.96 on both eyes (liveportrait_d0, d10); talking and idle never reach 0.55',
  },
  keep: { value: 0.5, unit: 'score', why: 'hysteresis: a held glance wobbles by ±0.1 between frames' },
  relaxedFor: { value: 0.3, unit: 'seconds', why: 'start from eyes on the camera, not mid-glance' },
  onFor: {
    value: 0.3,
    unit: 'seconds',
    why: 'a deliberate glance held ≥ 0.3 s (d0: 0.6 s, d10: 0.8–0.9 s); d6 grimaces flick the eyes for ≤ 0.13 s',
  },
  maxYaw: {
    value: 12,
    unit: 'degrees',
    why: 'the head stays roughly frontal: a head turn drags the eyes along (headturn_webcam_zubair_real reads 0.78 at 28° of yaw), resting heads stay within ±10°',
  },
} as const;

/** Eye-look blendshapes of the look to the subject's own `side`: the eye on that side looks out, the other in. */
const EYES = {
  left: ['eyeLookOutLeft', 'eyeLookInRight'],
  right: ['eyeLookInLeft', 'eyeLookOutRight'],
} as const;

const headStill = ({ face }: ChallengeInput): boolean => Math.abs(face.yawDeg) <= T.maxYaw.value;

/** Declares the look to the subject's own `side` with the eyes only; its instruction key is `challenge.<id>`. */
export function defineEyeLook(id: string, side: 'left' | 'right', validatedOn?: Validation): ChallengeDefinition<ExpressionState> {
  const [a, b] = EYES[side];
  const challenge = defineExpression(id, ['gaze', 'headPose'], {
    level: ({ face }) => Math.min(face.blendshapes?.[a] ?? 0, face.blendshapes?.[b] ?? 0),
    validatedOn,
    accepts: headStill,
    hint: (input) => (headStill(input) ? undefined : 'hint.keep_head_still'),
    relaxed: T.relaxed,
    on: T.on,
    keep: T.keep,
    relaxedFor: T.relaxedFor,
    onFor: T.onFor,
  });
  return { ...challenge, thresholds: { ...challenge.thresholds, maxYaw: T.maxYaw } };
}
