/**
 * The one place that orchestrates reload. Triggers: SIGHUP (wired by the run command) and a poll
 * of content fingerprints of every file the snapshot was built from, plus the config file itself.
 * A reload re-reads the config, refuses changes to restart-only keys, compiles a complete new
 * snapshot against the previous one, and swaps it in; any failure keeps the old snapshot, logs
 * every issue and counts the failure.
 */
import type { LoadResult } from '../config/load.js';
import { RESTART_ONLY_PATHS, type SidecarConfig } from '../config/schema.js';
import type { CommonMetrics } from '../metrics/registry.js';
import { fingerprint } from '../shared/fingerprint.js';
import type { Logger } from '../shared/log.js';
import type { ReloadOutcome, SnapshotStore } from '../shared/state.js';
import { compileSnapshot, type RuntimeSnapshot } from './compile.js';

export type ReloadTrigger = 'sighup' | 'file_change' | 'api' | 'mcm';

export interface ReloaderDeps {
  store: SnapshotStore<RuntimeSnapshot>;
  /** Re-read the config (file and environment) as at start. */
  loadConfig: () => Promise<LoadResult>;
  configFile: string | undefined;
  metrics: CommonMetrics;
  log: Logger;
}

export interface Reloader {
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome<RuntimeSnapshot>>;
  /** Compare fingerprints now; reload if anything changed. Returns whether a reload ran. */
  poll(): Promise<boolean>;
  start(intervalMs: number): void;
  stop(): void;
  /**
   * Run `fn` with the file poller held: a writer of several files that belong together (a
   * certificate and its key) finishes before the poller looks, then reloads once itself.
   */
  hold<T>(fn: () => Promise<T>): Promise<T>;
}

export class ReloadRefused extends Error {
  override readonly name = 'ReloadRefused';
}

export function createReloader(deps: ReloaderDeps): Reloader {
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let held = 0;
  /**
   * What the poller considers already seen: the current snapshot's inputs, or, after a failed
   * reload, the broken contents (so the same bad file is not retried every interval, only when it
   * changes again).
   */
  let seen: Map<string, string> | undefined;

  async function currentFingerprints(snapshot: RuntimeSnapshot): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [path, w] of snapshot.watched) out.set(path, await fingerprint(path, w.kind));
    if (deps.configFile) out.set(deps.configFile, await fingerprint(deps.configFile, 'file'));
    return out;
  }

  async function reload(trigger: ReloadTrigger): Promise<ReloadOutcome<RuntimeSnapshot>> {
    const outcome = await deps.store.reload(async (previous) => {
      const loaded = await deps.loadConfig();
      if (!loaded.ok) throw new ReloadRefused(loaded.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      const changed = restartOnlyChanges(previous.config, loaded.config);
      if (changed.length > 0) throw new ReloadRefused(`these keys need a restart, not a reload: ${changed.join(', ')}`);
      const compiled = await compileSnapshot(loaded.config, { previous });
      if (!compiled.ok) throw new ReloadRefused(compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      return compiled.snapshot;
    });
    seen = await currentFingerprints(deps.store.current());
    if (outcome.ok) {
      deps.metrics.reloads.inc({ result: 'success', trigger });
      deps.metrics.snapshotVersion.set(outcome.snapshot.version);
      deps.metrics.lastReloadSuccess.set(Date.now() / 1000);
      deps.log.info({ trigger, version: outcome.snapshot.version }, 'reloaded runtime snapshot');
    } else {
      deps.metrics.reloads.inc({ result: 'failure', trigger });
      deps.log.error({ trigger, keptVersion: outcome.kept.version, reason: outcome.error.message }, 'reload failed; still serving the previous snapshot');
    }
    return outcome;
  }

  async function poll(): Promise<boolean> {
    if (polling || held > 0) return false;
    polling = true;
    try {
      const snapshot = deps.store.current();
      seen ??= await currentFingerprints(snapshot);
      const now = await currentFingerprints(snapshot);
      const changed = [...now].some(([path, fp]) => seen?.get(path) !== fp);
      if (!changed) return false;
      await reload('file_change');
      return true;
    } finally {
      polling = false;
    }
  }

  return {
    reload,
    poll,
    async hold(fn) {
      held++;
      try {
        return await fn();
      } finally {
        held--;
      }
    },
    start(intervalMs) {
      if (timer) return;
      // Take the baseline now, so a change made right after start is seen by the first poll.
      void currentFingerprints(deps.store.current()).then((fps) => {
        seen ??= fps;
      });
      if (intervalMs <= 0) return;
      timer = setInterval(() => {
        poll().catch((err: unknown) => deps.log.error({ err }, 'reload poll failed'));
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

function valueAt(config: SidecarConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), config);
}

export function restartOnlyChanges(before: SidecarConfig, after: SidecarConfig): string[] {
  return RESTART_ONLY_PATHS.filter((p) => JSON.stringify(valueAt(before, p)) !== JSON.stringify(valueAt(after, p)));
}
