import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CHALLENGES } from '../../challenges';
import type { ChallengeDefinition } from '../../src/liveness/challenge-definition';
import type { ObservedFace } from '../../src/face/face-observation';
import { face } from '../support/flow-fakes';

// Synthetic sequences at 15 fps: each plugin's own rules, independent of any clip.
const FRAME_MS = 1000 / 15;
const plugin = (id: string): ChallengeDefinition<any> => ALL_CHALLENGES.find((c) => c.id === id)!;

/** Runs `frames` through a plugin; returns the last status and every hint seen. */
function drive(id: string, frames: Partial<ObservedFace>[]): { status: string; frame: number; hints: Set<string>; progress: number[] } {
  const p = plugin(id);
  let state = p.initialState();
  const hints = new Set<string>();
  const progress: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const step = p.step(state, { timestampMs: 1000 + i * FRAME_MS, face: face(frames[i]) });
    state = step.state;
    progress.push(step.progress);
    if (step.hintKey) hints.add(step.hintKey);
    if (step.status !== 'running') return { status: step.status, frame: i, hints, progress };
  }
  return { status: 'running', frame: frames.length, hints, progress };
}

const repeat = (n: number, f: Partial<ObservedFace>) => Array.from({ length: n }, () => f);
const eyes = (left: number, right: number) => ({ eyeOpenness: { left, right } });

describe('challenge plugins on synthetic sequences', () => {
  test('every plugin is pure: same input, same output, state untouched', () => {
    for (const p of ALL_CHALLENGES) {
      const state = p.initialState();
      const frozen = JSON.stringify(state);
      const a = p.step(state, { timestampMs: 0, face: face() });
      const b = p.step(state, { timestampMs: 0, face: face() });
      assert.deepEqual(a, b, p.id);
      assert.equal(JSON.stringify(state), frozen, p.id);
    }
  });

  test('blink: both eyes close then open passes; eyes closed without reopening does not', () => {
    const closeOpen = [...repeat(5, eyes(0.3, 0.3)), ...repeat(2, eyes(0.08, 0.1)), eyes(0.28, 0.29)];
    assert.equal(drive('blink', closeOpen).status, 'passed');
    assert.equal(drive('blink', [...repeat(5, eyes(0.3, 0.3)), ...repeat(20, eyes(0.08, 0.1))]).status, 'running');
  });

  test('blink: a one-eye wink does not count and asks for both eyes', () => {
    const wink = [
      ...repeat(5, eyes(0.3, 0.3)),
      ...repeat(3, eyes(0.06, 0.3)),
      ...repeat(3, eyes(0.3, 0.3)),
      ...repeat(3, eyes(0.3, 0.07)),
      eyes(0.3, 0.3),
    ];
    const r = drive('blink', wink);
    assert.equal(r.status, 'running');
    assert.ok(r.hints.has('hint.blink_both_eyes'));
  });

  test('blink: starting with closed eyes needs open eyes first', () => {
    assert.equal(drive('blink', [...repeat(5, eyes(0.08, 0.08)), eyes(0.3, 0.3)]).status, 'running');
  });

  test('blink: eye readings with the head turned away are ignored', () => {
    const turned = { yawDeg: 35 };
    const r = drive('blink', [...repeat(5, eyes(0.3, 0.3)), ...repeat(3, { ...eyes(0.05, 0.05), ...turned }), eyes(0.3, 0.3)]);
    assert.equal(r.status, 'running');
    assert.ok(r.hints.has('hint.look_at_camera'));
  });

  test('smile: neutral → smile held 0.5 s → neutral passes; a short flicker does not', () => {
    const neutral = repeat(6, { smile: 0.05 });
    assert.equal(drive('smile', [...neutral, ...repeat(9, { smile: 0.7 }), { smile: 0.1 }]).status, 'passed');
    assert.equal(drive('smile', [...neutral, ...repeat(4, { smile: 0.7 }), ...neutral]).status, 'running');
  });

  test('smile: starting mid-smile must relax first', () => {
    assert.equal(drive('smile', [...repeat(12, { smile: 0.8 }), { smile: 0.1 }]).status, 'running');
  });

  test('open-close-mouth: closed → open held → closed passes; a syllable does not', () => {
    const closed = repeat(4, { mouthOpenness: 0.01 });
    assert.equal(drive('open-close-mouth', [...closed, ...repeat(5, { mouthOpenness: 0.14 }), { mouthOpenness: 0.02 }]).status, 'passed');
    assert.equal(drive('open-close-mouth', [...closed, ...repeat(2, { mouthOpenness: 0.14 }), ...closed]).status, 'running');
  });

  test('turn-head-left passes on a left turn, hints on a right turn; turn-head-right mirrors it', () => {
    const turn = (yaw: number) => [
      ...repeat(3, { yawDeg: 0 }),
      ...[5, 10, 15].map((y) => ({ yawDeg: (y * yaw) / 20 })),
      ...repeat(3, { yawDeg: yaw }),
    ];
    assert.equal(drive('turn-head-left', turn(22)).status, 'passed');
    const wrong = drive('turn-head-left', turn(-22));
    assert.equal(wrong.status, 'running');
    assert.ok(wrong.hints.has('hint.other_way'));
    assert.equal(drive('turn-head-right', turn(-22)).status, 'passed');
    assert.equal(drive('turn-head-right', turn(22)).status, 'running');
  });

  test('head turns: a single-frame pose glitch does not pass', () => {
    assert.equal(drive('turn-head-left', [...repeat(3, { yawDeg: 0 }), { yawDeg: 30 }, ...repeat(5, { yawDeg: 2 })]).status, 'running');
  });

  test('head turns: starting already turned does not pass without a real turn', () => {
    assert.equal(drive('turn-head-left', repeat(10, { yawDeg: 25 })).status, 'running');
  });

  test('look-up / look-down are relative to the resting pitch of the camera angle', () => {
    const from = (rest: number, delta: number) => [...repeat(3, { pitchDeg: rest }), ...repeat(4, { pitchDeg: rest + delta })];
    assert.equal(drive('look-up', from(-8, 17)).status, 'passed');
    assert.equal(drive('look-up', from(-8, 10)).status, 'running');
    assert.equal(drive('look-down', from(-8, -17)).status, 'passed');
    assert.equal(drive('look-down', from(-8, 17)).status, 'running');
  });

  // Eye looks read MediaPipe's eyeLook* blendshapes; the subject's own left is the left eye out, the right eye in.
  const gaze = (outL: number, inR: number, inL = 0, outR = 0, yawDeg = 0): Partial<ObservedFace> => ({
    yawDeg,
    blendshapes: { eyeLookOutLeft: outL, eyeLookInRight: inR, eyeLookInLeft: inL, eyeLookOutRight: outR },
  });
  const glance = (aside: Partial<ObservedFace>, n = 6) => [
    ...repeat(6, gaze(0.05, 0.05)),
    ...repeat(n, aside),
    ...repeat(2, gaze(0.05, 0.05)),
  ];

  test('look-eyes-left: eyes on the camera → both eyes to the own left held 0.3 s → back passes; look-eyes-right mirrors it', () => {
    assert.equal(drive('look-eyes-left', glance(gaze(0.9, 0.85))).status, 'passed');
    assert.equal(drive('look-eyes-right', glance(gaze(0.9, 0.85))).status, 'running');
    assert.equal(drive('look-eyes-right', glance(gaze(0, 0, 0.88, 0.9))).status, 'passed');
    assert.equal(drive('look-eyes-left', glance(gaze(0, 0, 0.88, 0.9))).status, 'running');
  });

  test('look-eyes: a flick shorter than 0.3 s, crossed eyes or one eye alone do not pass', () => {
    assert.equal(drive('look-eyes-left', glance(gaze(0.9, 0.9), 3)).status, 'running');
    // Crossed: both eyes look in.
    assert.equal(drive('look-eyes-left', glance(gaze(0, 0.95, 0.95, 0))).status, 'running');
    assert.equal(drive('look-eyes-right', glance(gaze(0, 0.95, 0.95, 0))).status, 'running');
    assert.equal(drive('look-eyes-left', glance(gaze(0.9, 0.2))).status, 'running');
  });

  test('look-eyes: with the head turned the look does not count and the hint says to keep the head still', () => {
    const turned = drive('look-eyes-left', glance(gaze(0.9, 0.9, 0, 0, 25)));
    assert.equal(turned.status, 'running');
    assert.ok(turned.hints.has('hint.keep_head_still'));
    const still = drive('look-eyes-left', glance(gaze(0.9, 0.9, 0, 0, 8)));
    assert.equal(still.status, 'passed');
    assert.equal(still.hints.size, 0);
  });

  test('tilts are relative to the starting roll, must end up tilted, and hint on the wrong side', () => {
    const tilt = (rest: number, to: number) => [...repeat(3, { rollDeg: rest }), ...repeat(4, { rollDeg: to })];
    assert.equal(drive('tilt-head-left', tilt(2, 24)).status, 'passed');
    assert.equal(drive('tilt-head-left', tilt(2, 16)).status, 'running');
    assert.equal(drive('tilt-head-right', tilt(2, -22)).status, 'passed');
    // Coming back from a tilt to the other side is not a tilt.
    assert.equal(drive('tilt-head-left', tilt(-25, 5)).status, 'running');
    const wrong = drive('tilt-head-left', tilt(0, -20));
    assert.equal(wrong.status, 'running');
    assert.ok(wrong.hints.has('hint.other_way'));
    assert.equal(
      drive('tilt-head-right', [...repeat(3, { rollDeg: 0 }), { rollDeg: -30 }, ...repeat(4, { rollDeg: 0 })]).status,
      'running',
    );
  });

  test('progress stays within 0..1 and thresholds carry units and reasons', () => {
    const r = drive('turn-head-left', [...repeat(3, { yawDeg: 0 }), ...[4, 8, 12, 16, 20, 20].map((yawDeg) => ({ yawDeg }))]);
    assert.ok(r.progress.every((p) => p >= 0 && p <= 1));
    for (const p of ALL_CHALLENGES) {
      for (const [name, t] of Object.entries(p.thresholds)) assert.ok(t.why.length > 10 && Number.isFinite(t.value), `${p.id}.${name}`);
    }
  });
});
