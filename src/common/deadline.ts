/**
 * An abort signal that fires when `parent` aborts or after `timeoutMs`, whichever comes first.
 * (Node 20's AbortSignal.any can lose its timeout to garbage collection mid-request, so it is built by hand.)
 * Call `dispose()` when done to clear the timer.
 */
export function deadline(parent: AbortSignal, timeoutMs: number): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Settles like `work`, unless `timeoutMs` passes first: then rejects with `onTimeout()` (or, when `signal` aborts
 * first, with `onAbort()`, by default the signal's reason). Leaves no timer or listener behind; a late rejection of
 * `work` is swallowed. For "wait at most": `await withTimeout(work, ms, () => error).catch(() => fallback)`.
 */
export function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  options: { signal?: AbortSignal; onAbort?: () => Error } = {},
): Promise<T> {
  const { signal } = options;
  return new Promise<T>((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(onTimeout())), timeoutMs);
    const aborted = () => settle(() => reject(options.onAbort ? options.onAbort() : signal?.reason));
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
