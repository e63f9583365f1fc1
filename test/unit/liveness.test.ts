import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaceObservation } from '../../src/face/face-observation';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import {
  advanceWhenPassed,
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

/** Folds observations one every stepMs (default 10 fps) starting at t. */
function run(
  state: LivenessState,
  observations: Omit<FaceObservation, 'timestampMs' | 'imageWidth' | 'imageHeight'>[],
  t0 = 0,
  stepMs = 100,
): LivenessState {
  return observations.reduce(
    (s, o, i) => observeFace(s, { timestampMs: t0 + i * stepMs, imageWidth: 640, imageHeight: 480, ...o }, plugins, settings),
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

  it('should count steadiness in time, not frames: at 2 fps the second frame starts, a frame without a face restarts', () => {
    assert.equal(isStarted(run(startLiveness(['a']), [one()])), false);
    assert.equal(isStarted(run(startLiveness(['a']), times(2, one()), 0, 500)), true);
    assert.equal(isStarted(run(startLiveness(['a']), [one(), { faceCount: 0 }, one(), one()], 0, 300)), false);
    assert.equal(isStarted(run(startLiveness(['a']), [one(), { faceCount: 2, face: face() }, one(), one()], 0, 300)), false);
  });

  it('should count face_lost from the last face seen, also when frames come at 1 fps', () => {
    let s = run(startLiveness(['a']), times(3, one()), 0, 1000);
    s = run(s, times(4, { faceCount: 0 }), 3000, 1000);
    assert.equal(s.warningKey, 'warning.no_face');
    assert.equal(s.failure, undefined, 'last face at 2 s, now 6 s');
    s = run(s, [one(), ...times(4, { faceCount: 0 })], 7000, 1000);
    assert.equal(s.failure, undefined, 'the face at 7 s restarts the clock');
    s = run(s, [{ faceCount: 0 }], 12_000);
    assert.equal(s.failure, 'face_lost');
  });

  it('should pass challenges one after another', () => {
    let s = run(startLiveness(['a', 'b']), times(5, one()));
    assert.equal(advanceWhenPassed(s, plugins), s, 'a no-op until the running challenge passed');
    s = run(s, times(2, one({ mouthOpenness: 0.8 })), 500);
    assert.equal(currentPassed(s), true);
    s = advanceWhenPassed(s, plugins);
    assert.equal(s.challenges[1].status, 'running');
    s = run(s, times(2, one({ mouthOpenness: 0.8 })), 1000);
    assert.equal(allPassed(s), true);
    assert.equal(advanceWhenPassed(s, plugins), s, 'nothing follows the last challenge');
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
    s = run(s, times(3, one({ descriptor: bob })), 800);
    assert.equal(s.failure, 'face_changed');
  });

  it('should read identity only from frames that carry a descriptor (engines compute one now and then)', () => {
    const alice = [1, 0, 0];
    const bob = [0, 1, 0];
    const sparse = (d: number[]) => [one({ descriptor: d }), one(), one(), one()];
    let s = run(startLiveness(['a']), [...times(5, one()), ...sparse(alice), ...sparse(alice)]);
    assert.deepEqual(s.identity, alice, 'the first descriptor after the start');
    s = run(s, [...sparse(bob), ...sparse(alice)], 1300);
    assert.equal(s.failure, undefined, 'one odd reading; frames without a descriptor in between count for nothing');
    s = run(s, [...sparse(bob), one({ descriptor: bob })], 2100);
    assert.equal(s.failure, 'face_changed');
  });

  it('should ignore descriptors of a turned head (the same person reads far from their frontal self)', () => {
    const alice = [1, 0, 0];
    const bob = [0, 1, 0];
    let s = run(startLiveness(['a']), [...times(5, one()), one({ yawDeg: 40, descriptor: bob }), one({ descriptor: alice })]);
    assert.deepEqual(s.identity, alice);
    s = run(s, times(3, one({ yawDeg: -35, descriptor: bob })), 700);
    assert.equal(s.failure, undefined);
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

  it('should judge open eyes by the eyeBlink blendshapes when the engine has them (the mesh ratio misreads glasses)', () => {
    const glasses = { eyeOpenness: { left: 0.08, right: 0.09 } };
    assert.ok(matchingScore(face({ ...glasses, blendshapes: { eyeBlinkLeft: 0.02, eyeBlinkRight: 0.04 } }))! > 0);
    assert.equal(matchingScore(face({ blendshapes: { eyeBlinkLeft: 0.7, eyeBlinkRight: 0.04 } })), undefined);
  });
});
