/**
 * Polls the peer key directory and hands over a new key set when its content changed.
 *
 * Polling content hashes, not fs.watch: Kubernetes Secret and ConfigMap volumes update by swapping
 * a `..data` symlink, which fires no event for `<fspId>.pem` itself (reference §5, trap T13). Each
 * poll reads the key files through their symlinks and compares the directory digest, so a swapped
 * target, an edit in place, an added or a removed file are all seen within one interval.
 *
 * The watcher does not own the runtime state. `current()` (default: the last set this watcher
 * produced) supplies the set to compare against and to keep keys from, so that a reload triggered
 * elsewhere (SIGHUP) and this poller never fight over which set is "previous".
 */
import { buildPeerKeySet, EMPTY_PEER_KEY_SET, scanKeyDirectory, type PeerKeyLoad, type PeerKeySet } from './key-store.js';

export interface PeerKeyWatcherOptions {
  readonly dir: string;
  /** Time between the end of one poll and the start of the next. */
  readonly intervalMs: number;
  /** The set in effect now; defaults to the last one this watcher produced (or `initial`). */
  readonly current?: () => PeerKeySet;
  readonly initial?: PeerKeySet;
  /** A new set, with per-file errors (broken files keep their previous keys). */
  readonly onChange: (load: PeerKeyLoad) => void;
  /** The directory cannot be listed, or onChange threw; the current set stays. Repeats are not re-reported. */
  readonly onError?: (err: Error) => void;
}

export interface PeerKeyWatcher {
  /** Polls now (also what the timer calls). Resolves to the load when something changed. */
  poll(): Promise<PeerKeyLoad | undefined>;
  /** Stops the timer and waits for a poll in flight. */
  stop(): Promise<void>;
  /** The last set this watcher produced (or `initial`). */
  readonly keySet: PeerKeySet;
}

export function createPeerKeyWatcher(options: PeerKeyWatcherOptions): PeerKeyWatcher {
  if (!(options.intervalMs > 0)) throw new RangeError('createPeerKeyWatcher: intervalMs must be > 0');
  let last = options.initial ?? EMPTY_PEER_KEY_SET;
  const current = options.current ?? (() => last);
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<PeerKeyLoad | undefined> | undefined;
  let stopped = false;
  let lastError: string | undefined;

  const report = (err: Error): void => {
    if (err.message === lastError) return;
    lastError = err.message;
    options.onError?.(err);
  };

  const run = async (): Promise<PeerKeyLoad | undefined> => {
    let scan;
    try {
      scan = await scanKeyDirectory(options.dir);
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      report(new Error(`peer key directory ${options.dir}: cannot list (${code}); keeping the current keys`));
      return undefined;
    }
    lastError = undefined;
    const previous = current();
    if (scan.digest === previous.digest) return undefined;
    const load = buildPeerKeySet(scan, previous);
    last = load.keySet;
    try {
      options.onChange(load);
    } catch (err) {
      report(err instanceof Error ? err : new Error(String(err)));
    }
    return load;
  };

  const poll = (): Promise<PeerKeyLoad | undefined> => {
    // One poll at a time: a manual poll during a timed one shares its result.
    inFlight ??= run()
      .catch((err: unknown) => {
        report(err instanceof Error ? err : new Error(String(err)));
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void poll().finally(schedule);
    }, options.intervalMs);
    // Key polling alone never keeps the process alive.
    timer.unref();
  };
  schedule();

  return {
    poll,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
    get keySet() {
      return last;
    },
  };
}
