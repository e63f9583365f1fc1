import { num, oneOf } from '../config/env';
import { PAD_POLICIES } from './pad-policy';

export const padEnv = {
  PAD_POLICY: oneOf(
    PAD_POLICIES,
    'stepup',
    'Passive presentation-attack check (docs/pad.md): report records only; stepup adds one challenge, then fails with presentation_attack if still suspect; enforce fails at once',
  ),
  PAD_THRESHOLD: num(
    0.5,
    '2-second window mean of the fused "real" probability (0..1) below which a window is suspect; measured margins in docs/pad.md',
    {
      min: 0,
      max: 1,
      float: true,
    },
  ),
  PAD_FPS: num(5, 'Frames scored per second during the challenges (each ≈ 7–14 ms CPU, npm run bench:pad)', { min: 1, max: 30 }),
};
