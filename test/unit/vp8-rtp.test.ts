/** The encoded subject's VP8 pieces: IVF parsing, RFC 7741 packetization, and key frame requests in RTCP. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asksKeyFrame, endsFrame, ivfFrames, RTP_MAX_PACKET, Vp8Packetizer } from '../support/vp8-rtp';

const SSRC = 0x11223344;

describe('vp8-rtp', () => {
  it('splits a frame into packets of at most RTP_MAX_PACKET bytes that reassemble to it', () => {
    const p = new Vp8Packetizer(SSRC, 101);
    const frame = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
    const packets = p.packetize(frame, 0xfffffff0 + 2 ** 32);
    assert.equal(packets.length, 5);
    assert.ok(packets.every((x) => x.length <= RTP_MAX_PACKET));
    assert.deepEqual(Buffer.concat(packets.map((x) => x.subarray(16))), frame);
    assert.deepEqual(
      packets.map((x) => [x[0], x[1] & 0x7f, x.readUInt32BE(4), x.readUInt32BE(8)]),
      packets.map(() => [0x80, 101, 0xfffffff0, SSRC]),
    );
    assert.deepEqual(packets.map(endsFrame), [false, false, false, false, true], 'marker on the last packet only');
    assert.deepEqual(
      packets.map((x) => x[12]),
      [0x90, 0x80, 0x80, 0x80, 0x80],
      'S on the first packet of the frame',
    );
    const seq = packets.map((x) => x.readUInt16BE(2));
    assert.ok(seq.every((s, i) => i === 0 || s === ((seq[i - 1] + 1) & 0xffff)));
    const next = p.packetize(Buffer.alloc(10), 3000);
    assert.equal(next[0].readUInt16BE(2), (seq[4] + 1) & 0xffff, 'sequence numbers run on across frames');
    const pictureId = (x: Buffer) => x.readUInt16BE(14) & 0x7fff;
    assert.ok(packets.every((x) => (x.readUInt16BE(14) & 0x8000) !== 0 && pictureId(x) === pictureId(packets[0])));
    assert.equal(pictureId(next[0]), (pictureId(packets[0]) + 1) & 0x7fff, 'one PictureID per frame');
  });

  it('reads IVF frames and their key frame flag', () => {
    const header = Buffer.alloc(32);
    header.write('DKIF', 0, 'latin1');
    header.writeUInt16LE(32, 6);
    const frame = (bytes: number[]) => {
      const h = Buffer.alloc(12);
      h.writeUInt32LE(bytes.length, 0);
      return Buffer.concat([h, Buffer.from(bytes)]);
    };
    const frames = ivfFrames(Buffer.concat([header, frame([0x10, 1, 2]), frame([0x31, 9])]));
    assert.deepEqual(
      frames.map((f) => [f.key, [...f.data]]),
      [
        [true, [0x10, 1, 2]],
        [false, [0x31, 9]],
      ],
    );
    assert.throws(() => ivfFrames(Buffer.from('RIFF0000')), /not an IVF/);
    assert.throws(() => ivfFrames(Buffer.concat([header, frame([1, 2, 3]).subarray(0, 13)])), /truncated/);
  });

  it('finds a PLI or FIR for its SSRC in a compound RTCP packet, and nothing else', () => {
    const rr = Buffer.from([0x81, 201, 0, 7, ...Array(28).fill(0)]);
    const pli = (media: number) => {
      const b = Buffer.from([0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0]);
      b.writeUInt32BE(media, 8);
      return b;
    };
    const fir = Buffer.from([0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    fir.writeUInt32BE(SSRC, 12);
    assert.equal(asksKeyFrame(Buffer.concat([rr, pli(SSRC)]), SSRC), true);
    assert.equal(asksKeyFrame(Buffer.concat([rr, pli(SSRC + 1)]), SSRC), false);
    assert.equal(asksKeyFrame(Buffer.concat([rr, fir]), SSRC), true);
    assert.equal(asksKeyFrame(rr, SSRC), false);
  });
});
