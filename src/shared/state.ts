/**
 * Reloadable state lives in one immutable snapshot behind a store. A reload builds a complete new
 * snapshot, validates it, then swaps the pointer; if anything fails the old snapshot stays and the
 * failure is reported. Readers take `current()` once per request or connection, so a request never
 * mixes an old CA with new keys.
 */
export type ReloadOutcome<S> = { ok: true; snapshot: S; changed: boolean } | { ok: false; error: Error; kept: S };

export interface SnapshotStore<S> {
  current(): S;
  /** Build with `build(previous)`; swap only if it resolves. Concurrent calls are serialised. */
  reload(build: (previous: S) => Promise<S>): Promise<ReloadOutcome<S>>;
  /** Called after every successful swap, with the new and old snapshot. */
  onSwap(listener: (next: S, previous: S) => void): () => void;
}

export function createSnapshotStore<S>(initial: S): SnapshotStore<S> {
  let current = initial;
  let queue: Promise<unknown> = Promise.resolve();
  const listeners = new Set<(next: S, previous: S) => void>();

  return {
    current: () => current,
    reload(build) {
      const run = queue.then(async (): Promise<ReloadOutcome<S>> => {
        const previous = current;
        let next: S;
        try {
          next = await build(previous);
        } catch (err) {
          return { ok: false, error: err instanceof Error ? err : new Error(String(err)), kept: previous };
        }
        if (next === previous) return { ok: true, snapshot: previous, changed: false };
        current = next;
        for (const l of listeners) l(next, previous);
        return { ok: true, snapshot: next, changed: true };
      });
      queue = run.catch(() => undefined);
      return run;
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
