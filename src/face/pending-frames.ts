import type { I420Frame, RawImage } from '../common/image';
import { VisionError } from '../common/errors';
import type { FaceObservation } from './face-observation';
import { assertI420, i420ToRgb } from './i420';

/** A frame handed to an analyser (worker thread or browser page) and not answered yet. */
export type PendingFrame<T> = T & {
  frame: I420Frame;
  resolve(observation: FaceObservation): void;
  reject(error: Error): void;
};

/**
 * The request bookkeeping both face engines share: ids, frames in flight, the closed state. An answer is taken
 * exactly once (late or unknown ids are ignored); closing or a broken analyser rejects everything in flight, so
 * no frame buffer stays referenced after the engine is done with it.
 */
export class PendingFrames<T extends object> {
  private readonly inFlight = new Map<number, PendingFrame<T>>();
  private nextId = 1;
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Checks a frame before it is sent; refuses once closed. */
  admit(frame: I420Frame): void {
    if (this.closedFlag) throw new VisionError('internal_error', 'face engine is closed');
    assertI420(frame);
  }

  /** Registers `frame` under a new id, lets `send` post it, and resolves with the analyser's answer. */
  add(frame: I420Frame, extra: (id: number) => T, send: (id: number) => void): Promise<FaceObservation> {
    // Closed while the caller awaited the engine's start: nothing would ever answer.
    if (this.closedFlag) return Promise.reject(new VisionError('internal_error', 'face engine is closed'));
    const id = this.nextId++;
    return new Promise<FaceObservation>((resolve, reject) => {
      this.inFlight.set(id, { ...extra(id), frame, resolve, reject });
      send(id);
    });
  }

  /** The frame waiting for answer `id`, removed from the books; undefined when none is. */
  take(id: number): PendingFrame<T> | undefined {
    const pending = this.inFlight.get(id);
    this.inFlight.delete(id);
    return pending;
  }

  /** Rejects every frame in flight (or those `which` selects) with an internal_error; `each` cleans up per frame first. */
  failAll(message: string, each?: (pending: PendingFrame<T>) => void, which: (pending: PendingFrame<T>) => boolean = () => true): void {
    for (const [id, pending] of this.inFlight) {
      if (!which(pending)) continue;
      this.inFlight.delete(id);
      each?.(pending);
      pending.reject(new VisionError('internal_error', message));
    }
  }

  /** Marks the engine closed and fails what is in flight; false when it already was (close is idempotent). */
  close(message: string, each?: (pending: PendingFrame<T>) => void): boolean {
    if (this.closedFlag) return false;
    this.closedFlag = true;
    this.failAll(message, each);
    return true;
  }
}

/** A checked I420 frame as RGB, for keeping as live evidence (FaceAnalysisPort.toRgb of both engines). */
export function frameToRgb(frame: I420Frame): RawImage {
  assertI420(frame);
  return i420ToRgb(frame);
}
