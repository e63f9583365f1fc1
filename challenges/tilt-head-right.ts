import { defineHeadMove, type HeadMove } from './head-move';

/** The thresholds of both tilts (roll, relative to the lowest roll seen since the start, held). */
export const TILT: Pick<HeadMove, 'reach' | 'hold' | 'atLeast' | 'wrongWayHintKey'> = {
  reach: {
    value: 20,
    unit: 'degrees',
    why: 'asked tilts swing 34–47° (headturn_webcam_zubair_real 5–6.7 s); talking heads tilt up to 18° (tpsmm_driving, retalking_face_4) and the screen replay shakes 16°',
  },
  hold: {
    value: 0.15,
    unit: 'seconds',
    why: 'a deliberate tilt holds for several frames (the webcam tilts: 0.3–0.6 s beyond 15°); shake lasts one or two',
  },
  atLeast: {
    value: 15,
    unit: 'degrees',
    why: 'the head must end up tilted, not just come back from the other side; a turning head reads up to 14° of roll (orlando_bloom_headpose 2.1 s at 15–20° of yaw)',
  },
  wrongWayHintKey: 'hint.other_way',
};

/** Tilt the head towards the subject's own right shoulder (roll negative), relative to where it was at the start. */
export default defineHeadMove('tilt-head-right', {
  axis: 'rollDeg',
  sign: -1,
  validatedOn: { clip: 'headturn_webcam_zubair_real', passesAtS: 6.6 },
  ...TILT,
});
