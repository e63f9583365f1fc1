/** The subjects' shared choreography: looping stretches, the ping-pong idle loop, and the rewind a key frame request asks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Choreography, pingPong } from '../support/responsive-bot';

describe('Choreography', () => {
  it('loops the idle stretch played forward then back, never repeating its ends', () => {
    assert.deepEqual(pingPong(['a', 'b', 'c', 'd']), ['a', 'b', 'c', 'd', 'c', 'b']);
    assert.deepEqual(pingPong(['a']), ['a']);
    const c = new Choreography({ idle: pingPong([1, 2, 3]), challenges: new Map() });
    assert.deepEqual(
      Array.from({ length: 9 }, () => c.next()),
      [1, 2, 3, 2, 1, 2, 3, 2, 1],
    );
  });

  it('rewinds to the last frame a decoder can start at, so the next frame sent is a key frame', () => {
    const frames = ['K0', 'd1', 'd2', 'K3', 'd4', 'd5'].map((name) => ({ name, key: name.startsWith('K') }));
    const c = new Choreography({ idle: frames, challenges: new Map() });
    const isKey = (f: { key: boolean }) => f.key;
    c.next(); // K0
    c.next(); // d1
    c.rewind(isKey);
    assert.equal(c.next().name, 'K0');
    for (let i = 0; i < 4; i++) c.next(); // d1 d2 K3 d4
    c.rewind(isKey);
    assert.equal(c.next().name, 'K3');
    c.next(); // d4
    c.next(); // d5
    c.rewind(isKey); // the loop starts again at K0 anyway
    assert.equal(c.next().name, 'K0');
  });
});
