import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CHALLENGES } from '../../challenges';
import type { ChallengeDefinition } from '../../src/liveness/challenge-definition';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { advanceWhenPassed, allPassed, DEFAULT_LIVENESS_SETTINGS, observeFace, startLiveness } from '../../src/liveness/liveness';
import type { FaceObservation } from '../../src/face/face-observation';
import { loadTrace, replayChallenge } from '../traces/trace';

// The challenge plugins replayed over committed traces of the fixture clips (real engine numbers, no engine).
const plugin = (id: string): ChallengeDefinition<any> => {
  const found = ALL_CHALLENGES.find((c) => c.id === id);
  assert.ok(found, `plugin ${id} installed`);
  return found;
};
const run = (id: string, clip: string, startS = 0, endS = Infinity) => replayChallenge(plugin(id), loadTrace(clip), startS, endS);

/** The frames an overloaded service would analyse: one at or after every `stepMs` from `phaseMs` on (latest-frame-wins). */
function atRate(observations: readonly FaceObservation[], stepMs: number, phaseMs: number): FaceObservation[] {
  const kept: FaceObservation[] = [];
  for (const o of observations) {
    if (o.timestampMs >= phaseMs && (kept.length === 0 || o.timestampMs >= kept[kept.length - 1].timestampMs + stepMs)) kept.push(o);
  }
  return kept;
}

/** The whole liveness runtime as a flow drives it (steady-face gate, face_lost, challenges back to back) over a stretch. */
function runLiveness(ids: string[], observations: readonly FaceObservation[], startS: number, endS: number): string {
  const plugins = new ChallengeRegistry(ALL_CHALLENGES).plugins;
  let s = startLiveness(ids);
  for (const o of observations) {
    if (o.timestampMs < startS * 1000 || o.timestampMs > endS * 1000) continue;
    s = observeFace(s, o, plugins, { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5000 });
    if (s.failure) return s.failure;
    if (allPassed(s)) return 'passed';
    s = advanceWhenPassed(s, plugins);
  }
  return s.challenges.map((c) => `${c.id} ${c.status}`).join(', ');
}

/** Talking heads (presenters, an interview). */
const TALKING = ['retalking_face_1', 'retalking_face_2', 'retalking_face_3', 'retalking_face_4', 'retalking_face_5', 'tpsmm_driving'];
/** Clips where the subject looks at the camera, still or talking: no look aside, no tilt. */
const IDLE_AND_TALKING = ['blink_webcam_viet281101', 'liveportrait_d18', 'liveportrait_d19', ...TALKING];
const REPLAYS = ['replay_phone_zubair_fake', 'replay_screen_manikantha_fake'];

describe('challenge plugins on traces of real clips', () => {
  test('every challenge that says it is validated passes on its labelled clip when it says (±0.3 s)', () => {
    const validated = ALL_CHALLENGES.filter((c) => c.validatedOn);
    assert.equal(validated.length, 9);
    for (const { id, validatedOn } of validated) {
      const r = run(id, validatedOn!.clip);
      assert.equal(r.passed, true, `${id} on ${validatedOn!.clip}`);
      assert.ok(Math.abs(r.atS! - validatedOn!.passesAtS) <= 0.3, `${id} passed at ${r.atS}, says ${validatedOn!.passesAtS}`);
    }
  });

  test('blink passes at the first blink of the webcam clip (≈2.9–3.1 s), not before', () => {
    const r = run('blink', 'blink_webcam_viet281101');
    assert.equal(r.passed, true);
    assert.ok(r.atS! >= 2.9 && r.atS! <= 3.3, `at ${r.atS}`);
  });

  test('blink does not pass on the one-eye wink of liveportrait_d3 (0–1.5 s)', () => {
    assert.equal(run('blink', 'liveportrait_d3', 0, 1.5).passed, false);
  });

  test('smile passes on liveportrait_d0 once the smile relaxes (≈2.5–2.9 s)', () => {
    const r = run('smile', 'liveportrait_d0');
    assert.equal(r.passed, true);
    assert.ok(r.atS! >= 2.4 && r.atS! <= 3.0, `at ${r.atS}`);
  });

  test('open-close-mouth passes on liveportrait_d18 after the first opening (≈2.1–3.4 s)', () => {
    const r = run('open-close-mouth', 'liveportrait_d18');
    assert.equal(r.passed, true);
    assert.ok(r.atS! >= 2.1 && r.atS! <= 3.5, `at ${r.atS}`);
  });

  test('a toothy smile is not an open mouth (liveportrait_d0)', () => {
    assert.equal(run('open-close-mouth', 'liveportrait_d0').passed, false);
  });

  test('head turn: the subject turns right at 7–8.5 s and left at 9.5–11 s of the head-turn clip', () => {
    const right = run('turn-head-right', 'headturn_webcam_zubair_real', 6, 8.8);
    assert.equal(right.passed, true);
    assert.ok(right.atS! >= 6.8 && right.atS! <= 7.5, `right at ${right.atS}`);
    assert.equal(run('turn-head-left', 'headturn_webcam_zubair_real', 6, 8.8).passed, false);
    const left = run('turn-head-left', 'headturn_webcam_zubair_real', 8.8, 12);
    assert.equal(left.passed, true);
    assert.ok(left.atS! >= 9 && left.atS! <= 9.7, `left at ${left.atS}`);
    assert.equal(run('turn-head-right', 'headturn_webcam_zubair_real', 8.8, 12).passed, false);
  });

  test('head turns do not pass on the phone replay attack', () => {
    for (const id of ['turn-head-left', 'turn-head-right']) assert.equal(run(id, 'replay_phone_zubair_fake').passed, false, id);
  });

  test('look-eyes-left passes on the sideways glance of liveportrait_d0 (0.47–1.07 s) once the eyes come back, right does not', () => {
    const left = run('look-eyes-left', 'liveportrait_d0', 0, 1.15);
    assert.equal(left.passed, true);
    assert.ok(left.atS! >= 1.05 && left.atS! <= 1.15, `at ${left.atS}`);
    assert.equal(run('look-eyes-right', 'liveportrait_d0', 0, 1.15).passed, false);
  });

  test('look-eyes on the side glances of liveportrait_d10: right at 7.5–8.3 s, left at 8.4–9.3 s', () => {
    const right = run('look-eyes-right', 'liveportrait_d10', 7, 8.5);
    assert.equal(right.passed, true);
    assert.ok(right.atS! >= 7.8 && right.atS! <= 8.45, `right at ${right.atS}`);
    assert.equal(run('look-eyes-left', 'liveportrait_d10', 7, 8.35).passed, false);
    const left = run('look-eyes-left', 'liveportrait_d10', 7, 9.5);
    assert.ok(left.passed && left.atS! >= 8.7 && left.atS! <= 9.45, `left at ${left.atS}`);
  });

  test('look-eyes: crossed eyes (liveportrait_d6), head turns, talking, idle and replays pass neither side', () => {
    const clips = ['liveportrait_d6', 'headturn_webcam_zubair_real', 'orlando_bloom_headpose', ...IDLE_AND_TALKING, ...REPLAYS];
    for (const clip of clips)
      for (const id of ['look-eyes-left', 'look-eyes-right']) assert.equal(run(id, clip).passed, false, `${id} on ${clip}`);
  });

  test('tilts: the webcam subject tilts to his own left at 5.1–5.9 s and to his right at 6.2–6.7 s; each fails on the other', () => {
    const left = run('tilt-head-left', 'headturn_webcam_zubair_real', 4.5, 6);
    assert.ok(left.passed && left.atS! >= 5.2 && left.atS! <= 5.6, `left at ${left.atS}`);
    assert.equal(run('tilt-head-right', 'headturn_webcam_zubair_real', 4.5, 6).passed, false);
    const right = run('tilt-head-right', 'headturn_webcam_zubair_real', 6, 6.8);
    assert.ok(right.passed && right.atS! >= 6.4 && right.atS! <= 6.7, `right at ${right.atS}`);
    assert.equal(run('tilt-head-left', 'headturn_webcam_zubair_real', 6, 6.8).passed, false);
    // The head turns after it (7–11 s) are not tilts.
    for (const id of ['tilt-head-left', 'tilt-head-right'])
      assert.equal(run(id, 'headturn_webcam_zubair_real', 6.8, 13.3).passed, false, id);
  });

  test('tilts: talking heads (tpsmm_driving tilts 18°), a turning head (orlando_bloom) and replay shake do not pass', () => {
    const clips = ['liveportrait_d6', 'liveportrait_d10', 'orlando_bloom_headpose', ...IDLE_AND_TALKING, ...REPLAYS];
    for (const clip of clips)
      for (const id of ['tilt-head-left', 'tilt-head-right']) assert.equal(run(id, clip).passed, false, `${id} on ${clip}`);
  });

  test('nothing passes on the still blink clip opening (0–2.8 s, eyes open, head still)', () => {
    for (const c of ALL_CHALLENGES) assert.equal(run(c.id, 'blink_webcam_viet281101', 0, 2.8).passed, false, c.id);
  });

  // What talking does trigger is documented in challenges/README.md; here: never faster than the real attempts
  // above (smile 2.4 s, open-close-mouth 2.1 s from the clip start, including their neutral lead-in).
  for (const clip of TALKING) {
    test(`talking (${clip}) does not pass smile or open-close-mouth faster than a real attempt`, () => {
      const smile = run('smile', clip);
      assert.ok(!smile.passed || smile.atS! > 2.8, `smile at ${smile.atS}`);
      const mouth = run('open-close-mouth', clip);
      assert.ok(!mouth.passed || mouth.atS! > 3.3, `open-close-mouth at ${mouth.atS}`);
    });
  }

  // An overloaded service analyses a few frames per second: a cooperative subject still passes, only later.
  // Every sampling phase counts (which frames an overloaded service happens to get is luck).
  const phases = [0, 100, 200, 300, 400];
  const cases: [number, string[], string, number, number][] = [
    [5, ['turn-head-right', 'turn-head-left'], 'headturn_webcam_zubair_real', 5.5, 12],
    [5, ['open-close-mouth'], 'liveportrait_d18', 0, 7.2],
    [5, ['blink'], 'blink_webcam_viet281101', 0, 10],
    // From 4 s, so the tilt starts after the challenge did (the steady-face gate takes 0.4 s).
    [5, ['tilt-head-left', 'tilt-head-right'], 'headturn_webcam_zubair_real', 4, 6.8],
    // Not the head-turn clip at 2 fps: its right turn lasts 0.45 s before the detector loses the face, less than
    // the two frames a turn must hold.
    [2, ['open-close-mouth'], 'liveportrait_d18', 0, 7.2],
    [2, ['blink'], 'blink_webcam_viet281101', 0, 10],
  ];
  for (const [fps, ids, clip, startS, endS] of cases) {
    test(`at ${fps} analysed frames/s the whole runtime passes ${ids.join(' + ')} on ${clip}`, () => {
      for (const phase of phases) {
        assert.equal(runLiveness(ids, atRate(loadTrace(clip), 1000 / fps, phase), startS, endS), 'passed', `frames from ${phase} ms`);
      }
    });
  }
});
