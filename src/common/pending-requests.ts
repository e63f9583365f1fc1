/** A request handed to a worker (thread or browser page) and not answered yet, with the caller's own fields. */
export type PendingRequest<R, T> = T & {
  resolve(answer: R): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
};

/** A request's time limit: past `ms` it rejects with errorOf(message), then `onTimeout` runs (e.g. restart the worker). */
export interface RequestTimeout<R, T> {
  ms: number;
  message: string;
  onTimeout?(request: PendingRequest<R, T>): void;
}

/**
 * Requests in flight by id: an answer is taken exactly once (late or unknown ids are ignored); a timeout, a dead
 * worker or closing rejects, so nothing stays referenced after its owner is done with it.
 */
export class PendingRequests<R, T extends object = object> {
  private readonly inFlight = new Map<number, PendingRequest<R, T>>();
  private nextId = 1;
  private closedWith?: string;

  /** `errorOf` makes every rejection of this set (one failure reason per owner). */
  constructor(private readonly errorOf: (message: string) => Error) {}

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Registers a request under a new id, lets `send` post it, and resolves with its answer. */
  add(extra: T, send: (id: number) => void, timeout?: RequestTimeout<R, T>): Promise<R> {
    if (this.closedWith !== undefined) return Promise.reject(this.errorOf(this.closedWith));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const request: PendingRequest<R, T> = { ...extra, resolve, reject };
      if (timeout) {
        request.timer = setTimeout(() => {
          if (!this.take(id)) return;
          reject(this.errorOf(timeout.message));
          timeout.onTimeout?.(request);
        }, timeout.ms);
      }
      this.inFlight.set(id, request);
      send(id);
    });
  }

  /** The request waiting for answer `id`, removed from the books; undefined when none is. */
  take(id: number): PendingRequest<R, T> | undefined {
    const request = this.inFlight.get(id);
    if (!request) return undefined;
    this.inFlight.delete(id);
    clearTimeout(request.timer);
    return request;
  }

  /** Rejects every request in flight (or those `which` selects) with errorOf(message). */
  failAll(message: string, which: (request: PendingRequest<R, T>) => boolean = () => true): void {
    for (const [id, request] of this.inFlight) {
      if (which(request)) this.take(id)?.reject(this.errorOf(message));
    }
  }

  /** Refuses further requests and fails those in flight, both with `message`; false when already closed (idempotent). */
  close(message: string): boolean {
    if (this.closedWith !== undefined) return false;
    this.closedWith = message;
    this.failAll(message);
    return true;
  }
}
