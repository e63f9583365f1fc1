import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaceObservation } from '../../src/face/face-observation';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import {
  advanceChallenge,
  allPassed,
  currentPassed,
  DEFAULT_LIVENESS_SETTINGS,
  isStarted,
  LivenessState,
  matchingScore,
  observeFace,
  startLiveness,
} from '../../src/liveness/liveness';
import { face, fakeMouthChallenge } from '../support/flow-fakes';

const settings = { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5000 };
const plugins = new ChallengeRegistry([fakeMouthChallenge('a'), fakeMouthChallenge('b')]).plugins;

/** Folds observations at 10 fps starting at t. */
function run(
  state: LivenessState,
  observations: Omit<FaceObservation, 'timestampMs' | 'imageWidth' | 'imageHeight'>[],
  t0 = 0,
): LivenessState {
  return observations.reduce(
    (s, o, i) => observeFace(s, { timestampMs: t0 + i * 100, imageWidth: 640, imageHeight: 480, ...o }, plugins, settings),
    state,
  );
}

const one = (overrides = {}) => ({ faceCount: 1, face: face(overrides) });
const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe('liveness runtime', () => {
  it('should start the first challenge only after a steady single face', () => {
    let s = run(startLiveness(['a', 'b']), times(4, one()));
    assert.equal(isStarted(s), false);
    s = run(s, [one()], 400);
    assert.equal(isStarted(s), true);
    assert.equal(s.challenges[0].status, 'running');
  });

  it('should pass challenges one after another', () => {
    let s = run(startLiveness(['a', 'b']), [...times(5, one()), ...times(2, one({ mouthOpenness: 0.8 }))]);
    assert.equal(currentPassed(s), true);
    s = advanceChallenge(s, plugins);
    assert.equal(s.challenges[1].status, 'running');
    s = run(s, times(2, one({ mouthOpenness: 0.8 })), 1000);
    assert.equal(allPassed(s), true);
  });

  it('should warn on two faces, then fail with multiple_faces after they stay', () => {
    let s = run(startLiveness(['a']), times(5, one()));
    s = run(s, times(5, { faceCount: 2, face: face() }), 500);
    assert.equal(s.warningKey, 'warning.multiple_faces');
    assert.equal(s.failure, undefined);
    s = run(s, times(20, { faceCount: 2, face: face() }), 1000);
    assert.equal(s.failure, 'multiple_faces');
  });

  it('should warn after 3 s without a face and fail with face_lost after FACE_LOST_S', () => {
    let s = run(startLiveness(['a']), times(5, one()));
    s = run(s, times(31, { faceCount: 0 }), 500);
    assert.equal(s.warningKey, 'warning.no_face');
    assert.equal(s.failure, undefined);
    s = run(s, times(25, { faceCount: 0 }), 3600);
    assert.equal(s.failure, 'face_lost');
  });

  it('should fail with face_changed when another person takes over, not on one odd frame', () => {
    const alice = [1, 0, 0];
    const bob = [0, 1, 0];
    let s = run(startLiveness(['a']), times(6, one({ descriptor: alice })));
    s = run(s, [one({ descriptor: bob }), one({ descriptor: alice })], 600);
    assert.equal(s.failure, undefined);
    s = run(s, times(5, one({ descriptor: bob })), 800);
    assert.equal(s.failure, 'face_changed');
  });

  it('should advise on framing: too dark, too far, too close', () => {
    const cases: [object, string][] = [
      [{ quality: { faceShare: 0.15, brightness: 20, sharpness: 300 } }, 'warning.too_dark'],
      [{ quality: { faceShare: 0.01, brightness: 120, sharpness: 300 } }, 'warning.move_closer'],
      [{ quality: { faceShare: 0.6, brightness: 120, sharpness: 300 } }, 'warning.move_back'],
    ];
    for (const [overrides, key] of cases) assert.equal(run(startLiveness(['a']), [one(overrides)]).warningKey, key);
  });

  it('should score frontal, sharp, open-eyed frames for matching and refuse turned or closed-eye ones', () => {
    const good = matchingScore(face());
    assert.ok(good !== undefined && good > 0);
    assert.equal(matchingScore(face({ yawDeg: 25 })), undefined);
    assert.equal(matchingScore(face({ eyeOpenness: { left: 0.08, right: 0.09 } })), undefined);
    assert.ok(matchingScore(face({ yawDeg: 10 }))! < good);
  });
});
