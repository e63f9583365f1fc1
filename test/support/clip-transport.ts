/** A TransportPort that "joins" at once and plays fixture clips as the subject's camera, in real time. */
import { videoFrames } from './video-frames';
import type { I420Frame } from '../../src/common/image';
import type { InstructionScreen } from '../../src/render/instruction-screen';
import type { JoinRequest, RoomConnection, RoomListener, TransportPort } from '../../src/transport/transport.port';

/** A part of a clip to play. */
export interface ClipSegment {
  file: string;
  start?: number;
  duration?: number;
}

export class ClipTransport implements TransportPort {
  readonly shown: InstructionScreen[] = [];
  closes = 0;
  frames = 0;
  /** Sees every frame handed to the flow (tests watch them being released). */
  onFrame?: (frame: I420Frame) => void;

  constructor(
    private readonly segments: ClipSegment[],
    private readonly fps = 15,
  ) {}

  async join(_request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection> {
    // Like a real room: after close, or an abandoned join, no frame arrives any more.
    const playing = new AbortController();
    signal.addEventListener('abort', () => playing.abort(), { once: true });
    void this.play(listener, playing.signal);
    return {
      show: (screen) => this.shown.push(screen),
      close: async () => {
        this.closes++;
        playing.abort();
      },
    };
  }

  private async play(listener: RoomListener, signal: AbortSignal): Promise<void> {
    const t0 = performance.now();
    let sent = 0;
    for (const segment of this.segments) {
      for await (const frame of videoFrames(segment.file, { fps: this.fps, start: segment.start, duration: segment.duration })) {
        if (signal.aborted) return;
        const due = t0 + (sent * 1000) / this.fps;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
        if (signal.aborted) return;
        if (sent === 0) listener.onSubjectVideoStarted();
        const subjectFrame = { ...frame, timestampMs: performance.now() };
        this.onFrame?.(subjectFrame);
        listener.onSubjectFrame(subjectFrame);
        sent++;
        this.frames = sent;
      }
    }
  }
}
