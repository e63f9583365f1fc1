import { defineHeadMove } from './head-move';

/** Tilt the head down (pitch negative), relative to where it was when the challenge started. */
export default defineHeadMove('look-down', {
  axis: 'pitchDeg',
  sign: -1,
  reach: { value: 15, unit: 'degrees', why: 'resting pitch wanders ±5° (talking heads, hand-held phones) and replay shake reached 12–15° from rest; no fixture has a real nod, so 15° is a margin over noise' },
  hold: { value: 0.15, unit: 'seconds', why: 'a deliberate nod holds for several frames; shake and pose glitches last one or two' },
  wrongWayHintKey: 'hint.other_way',
});
