/**
 * VP8 for a load generator, without a WebRTC stack: raw frames encoded once by ffmpeg's libvpx in realtime mode
 * (IVF in memory), then sent as RTP the way a browser does (RFC 7741 payload descriptor, 90 kHz timestamps).
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { I420Frame } from '../../src/common/image';

/** One encoded frame. */
export interface Vp8Frame {
  data: Buffer;
  /** A key frame: a decoder can start here. */
  key: boolean;
}

/** Like a browser's camera stream at 640 px (≈ 300–500 kbit/s). */
export const VP8_BITRATE_KBPS = 400;

/** RTP packets at most this long, like libwebrtc's (leaves room for SRTP and a TURN header under a 1280 B MTU). */
export const RTP_MAX_PACKET = 1200;

const RTP_HEADER = 12;
/** X bit, then I (PictureID present), then a 15-bit PictureID (M bit set). */
const DESCRIPTOR = 4;

/**
 * Encodes frames (all of one size) to VP8 at `fps`: libvpx realtime, CBR at VP8_BITRATE_KBPS, no frame lag, a key
 * frame first and then at least every second (so a receiver syncs within one second even without asking).
 */
export async function encodeVp8(frames: readonly I420Frame[], fps: number): Promise<Vp8Frame[]> {
  if (frames.length === 0) throw new Error('encodeVp8: no frames');
  const { width, height } = frames[0];
  const bitrate = `${VP8_BITRATE_KBPS}k`;
  // prettier-ignore
  const args = [
    '-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-auto-alt-ref', '0',
    '-b:v', bitrate, '-minrate', bitrate, '-maxrate', bitrate, '-bufsize', bitrate, '-g', String(fps),
    '-f', 'ivf', 'pipe:1',
  ];
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  ffmpeg.stdout.on('data', (d: Buffer) => chunks.push(d));
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  ffmpeg.stdin.on('error', () => undefined); // ffmpeg failed early: its exit code and stderr say why
  const exited = new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
  for (const frame of frames) {
    if (frame.width !== width || frame.height !== height) throw new Error('encodeVp8: frames of different sizes');
    if (!ffmpeg.stdin.write(frame.data)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
  }
  ffmpeg.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not encode VP8 (exit ${code}): ${stderr.trim()}`);
  const encoded = ivfFrames(Buffer.concat(chunks));
  if (encoded.length !== frames.length) throw new Error(`libvpx gave ${encoded.length} frames for ${frames.length}`);
  return encoded;
}

/** The frames of an IVF file (32-byte header, then per frame a 12-byte header: size, timestamp). */
export function ivfFrames(ivf: Buffer): Vp8Frame[] {
  if (ivf.subarray(0, 4).toString('latin1') !== 'DKIF') throw new Error('not an IVF stream');
  const frames: Vp8Frame[] = [];
  for (let at = ivf.readUInt16LE(6); at + 12 <= ivf.length;) {
    const size = ivf.readUInt32LE(at);
    const data = ivf.subarray(at + 12, at + 12 + size);
    if (data.length !== size) throw new Error('truncated IVF frame');
    // VP8 frame tag (RFC 6386 9.1): bit 0 of the first byte is 0 on a key frame.
    frames.push({ data, key: (data[0] & 1) === 0 });
    at += 12 + size;
  }
  return frames;
}

/**
 * RTP packetization of VP8 (RFC 7741) for one stream: each frame split into packets of at most RTP_MAX_PACKET
 * bytes, each with the payload descriptor (S on the frame's first packet, partition 0, a 15-bit PictureID counting
 * frames), the marker bit on its last packet, sequence numbers running on across frames.
 */
export class Vp8Packetizer {
  private seq = randomInt(0x10000);
  private pictureId = randomInt(0x8000);

  constructor(
    readonly ssrc: number,
    readonly payloadType: number,
  ) {}

  /** The packets of one frame captured at `timestamp` (90 kHz units). */
  packetize(frame: Uint8Array, timestamp: number): Buffer[] {
    const room = RTP_MAX_PACKET - RTP_HEADER - DESCRIPTOR;
    const count = Math.max(1, Math.ceil(frame.length / room));
    // Equal shares, as libwebrtc does, rather than full packets and a runt.
    const share = Math.ceil(frame.length / count);
    const packets: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const payload = frame.subarray(i * share, Math.min(frame.length, (i + 1) * share));
      const packet = Buffer.allocUnsafe(RTP_HEADER + DESCRIPTOR + payload.length);
      packet[0] = 0x80; // version 2, no padding, no extension, no CSRC
      packet[1] = (i === count - 1 ? 0x80 : 0) | this.payloadType;
      packet.writeUInt16BE(this.seq, 2);
      packet.writeUInt32BE(timestamp >>> 0, 4);
      packet.writeUInt32BE(this.ssrc, 8);
      packet[12] = i === 0 ? 0x90 : 0x80; // X, and S on the first packet of partition 0
      packet[13] = 0x80; // I: PictureID follows
      packet.writeUInt16BE(0x8000 | this.pictureId, 14);
      packet.set(payload, RTP_HEADER + DESCRIPTOR);
      packets.push(packet);
      this.seq = (this.seq + 1) & 0xffff;
    }
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return packets;
  }
}

/** Whether an RTCP (compound) packet asks the sender of `ssrc` for a key frame: PLI or FIR (RFC 4585, RFC 5104). */
export function asksKeyFrame(rtcp: Buffer, ssrc: number): boolean {
  for (let at = 0; at + 12 <= rtcp.length; at += (rtcp.readUInt16BE(at + 2) + 1) * 4) {
    const fmt = rtcp[at] & 0x1f;
    if (rtcp[at + 1] !== 206) continue; // payload-specific feedback
    if (fmt === 1 && rtcp.readUInt32BE(at + 8) === ssrc) return true;
    if (fmt === 4) {
      const end = at + (rtcp.readUInt16BE(at + 2) + 1) * 4;
      for (let fci = at + 12; fci + 8 <= end; fci += 8) if (rtcp.readUInt32BE(fci) === ssrc) return true;
    }
  }
  return false;
}

/** Whether an RTP packet ends a frame (its marker bit). */
export const endsFrame = (rtp: Buffer): boolean => (rtp[1] & 0x80) !== 0;
