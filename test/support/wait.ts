/**
 * Polls `check` every `intervalMs` until it returns a value (a rejected check counts as not yet); rejects after
 * `timeoutMs` naming what it waited for.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `check` every 20 ms until it returns true; rejects after `timeoutMs` naming what it waited for. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await pollUntil(async () => (check() ? true : undefined), timeoutMs, what, 20);
}

/** A RoomListener that records what it was told. */
export function recordingListener() {
  const events: string[] = [];
  const errors: Error[] = [];
  const frames = { count: 0, last: undefined as import('../../src/common/image').I420Frame | undefined };
  return {
    events,
    errors,
    frames,
    onSubjectVideoStarted: () => events.push('started'),
    onSubjectLeft: () => events.push('left'),
    onFailed: (error: Error) => {
      events.push('failed');
      errors.push(error);
    },
    onSubjectFrame: (frame: import('../../src/common/image').I420Frame) => {
      frames.count++;
      frames.last = frame;
    },
  };
}
