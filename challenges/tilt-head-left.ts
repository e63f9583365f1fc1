import { defineHeadMove } from './head-move';
import { TILT } from './tilt-head-right';

/** Tilt the head towards the subject's own left shoulder (roll positive), relative to where it was at the start. */
export default defineHeadMove('tilt-head-left', {
  axis: 'rollDeg',
  sign: 1,
  validatedOn: { clip: 'headturn_webcam_zubair_real', passesAtS: 5.47 },
  ...TILT,
});
