/** One decoded video frame in I420 (YUV 4:2:0 planar), as @roamhq/wrtc delivers and accepts it. */
export interface I420Frame {
  width: number;
  height: number;
  /** Y plane (width*height) then U and V planes ((width/2)*(height/2) each). */
  data: Uint8Array;
  /** Capture time on the service's monotonic clock, milliseconds. */
  timestampMs: number;
}

/** A decoded still image, interleaved 8-bit RGB (3) or RGBA (4). */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}
