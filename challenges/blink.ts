import { defineChallenge } from '../src/liveness/challenge-definition';

/**
 * Blink: both eyes close, then open again. Openness is the eye aspect ratio (EAR), compared with the subject's
 * own open-eye level so small and large eyes work alike. A one-eye wink does not count.
 */
const T = {
  openEye: { value: 0.2, unit: 'ratio', why: 'EAR above this counts as an open eye for the baseline (open eyes read 0.26–0.40 on our clips)' },
  closedShare: { value: 0.6, unit: 'ratio', why: 'closed = both eyes below 60% of the open baseline: blink frames read 0.03–0.17 vs 0.28 open; a wink keeps the other eye above 85%' },
  reopenShare: { value: 0.7, unit: 'ratio', why: 'open again = both eyes above 70% of the baseline (the first frame after a blink reads ~0.21 of 0.29)' },
  baselineFrames: { value: 3, unit: 'frames', why: 'open-eye frames needed before a closure can count, so a subject who starts with eyes shut must open them first' },
  maxYaw: { value: 25, unit: 'degrees', why: 'beyond ~25° of yaw or pitch the far eye is foreshortened and its EAR is meaningless (reads > 1 near profile)' },
} as const;

interface BlinkState {
  /** Running mean EAR of open eyes. */
  baseline?: number;
  openFrames: number;
  closed: boolean;
}

export default defineChallenge<BlinkState>({
  id: 'blink',
  instructionKey: 'challenge.blink',
  needs: ['eyes', 'headPose'],
  validatedOn: { clip: 'blink_webcam_viet281101', passesAtS: 3.13 },
  thresholds: T,
  initialState: () => ({ openFrames: 0, closed: false }),
  step(state, { face }) {
    if (Math.abs(face.yawDeg) > T.maxYaw.value || Math.abs(face.pitchDeg) > T.maxYaw.value) {
      return { state, progress: state.closed ? 0.5 : 0, status: 'running', hintKey: 'hint.look_at_camera' };
    }
    const { left, right } = face.eyeOpenness;
    const base = state.baseline;
    if (base === undefined || state.openFrames < T.baselineFrames.value) {
      if (left < T.openEye.value || right < T.openEye.value) return { state, progress: 0, status: 'running' };
      const mean = (left + right) / 2;
      const baseline = base === undefined ? mean : base * 0.8 + mean * 0.2;
      return { state: { ...state, baseline, openFrames: state.openFrames + 1 }, progress: 0, status: 'running' };
    }
    if (!state.closed) {
      const closedL = left < base * T.closedShare.value;
      const closedR = right < base * T.closedShare.value;
      if (closedL && closedR) return { state: { ...state, closed: true }, progress: 0.5, status: 'running' };
      // Keep following the open level slowly (lighting and distance change).
      const mean = (left + right) / 2;
      const next = !closedL && !closedR && mean > T.openEye.value ? { ...state, baseline: base * 0.9 + mean * 0.1 } : state;
      const wink = closedL !== closedR;
      return { state: next, progress: 0, status: 'running', hintKey: wink ? 'hint.blink_both_eyes' : undefined };
    }
    const reopened = left > base * T.reopenShare.value && right > base * T.reopenShare.value;
    return reopened ? { state, progress: 1, status: 'passed' } : { state, progress: 0.5, status: 'running' };
  },
});
