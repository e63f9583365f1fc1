/**
 * Messages between the engine and its Chromium page (page/landmarker-page.ts speaks the same format; it is a
 * browser script and cannot import this file).
 */

/** Header of a frame sent to the page. */
export interface FrameHeader {
  id: number;
  /** Frames of one stream go to one landmarker (VIDEO mode tracks a face across them). */
  stream: string;
  width: number;
  height: number;
  timestampMs: number;
}

/** One face as the page reports it. */
export interface PageFace {
  /** 478 points as flat x,y,z; x and y normalised to the image, z roughly in x's scale. */
  landmarks: number[];
  /** The 52 blendshape scores by MediaPipe's category name. */
  blendshapes: Record<string, number>;
  /** Facial transformation matrix (canonical face → camera), 4x4 column-major. */
  matrix: number[];
}

/** Messages from the page. */
export type PageMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; ms: number; faces: PageFace[] }
  | { type: 'error'; id: number; message: string };

/** Frame message: u32 LE header length, header JSON, then the I420 bytes. */
export function encodeFrame(header: FrameHeader, i420: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(4 + json.length + i420.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  out.set(i420, 4 + json.length);
  return out;
}
