/** Watches objects through WeakRefs to show they are garbage-collected once nothing holds them. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's gc(), without starting node with --expose-gc: the flag set at run time exposes it to contexts created
 * after it (the way Jest's leak detector gets it).
 */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = exposeGc();

/** Full collections with turns of the event loop between them (a WeakRef target lives until its job ends). */
export async function collectGarbage(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

/** Objects handed through a pipeline, each under a label, held only weakly. */
export class ReleaseTracker {
  private readonly refs: { label: string; ref: WeakRef<object> }[] = [];
  private readonly finalized = new Map<string, number>();
  private readonly registry = new FinalizationRegistry<string>((label) => this.finalized.set(label, (this.finalized.get(label) ?? 0) + 1));

  /** Watches `value` (returned as is); counted per label. */
  track<T>(label: string, value: T): T {
    if (typeof value === 'object' && value !== null) {
      this.refs.push({ label, ref: new WeakRef(value) });
      this.registry.register(value, label);
    }
    return value;
  }

  /** Tracked objects per label. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { label } of this.refs) counts[label] = (counts[label] ?? 0) + 1;
    return counts;
  }

  /** After a collection: the objects still reachable, per label (empty when everything was released). */
  async alive(): Promise<Record<string, number>> {
    await collectGarbage();
    const alive: Record<string, number> = {};
    for (const { label, ref } of this.refs) if (ref.deref() !== undefined) alive[label] = (alive[label] ?? 0) + 1;
    return alive;
  }

  /** Finalizers that ran so far, per label (they run some time after the collection that freed the object). */
  finalizedCounts(): Record<string, number> {
    return Object.fromEntries(this.finalized);
  }
}
