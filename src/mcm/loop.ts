/**
 * The MCM steps on a timer inside `run`: one cycle at start, then one every pollIntervalSeconds
 * (±10 % jitter, so a fleet restarted together does not poll in step). A cycle with a failed step
 * backs off, doubling from the poll interval up to maxBackoffSeconds with ±20 % jitter; the first
 * clean cycle resets it. Files a cycle wrote are applied by one reload at its end; the file poller
 * is held for the cycle, so it never sees a new certificate beside the old key. Nothing here
 * touches readiness: while the MCM is unreachable the gateways serve with the credentials they
 * hold, and their own expiry series tell when that runs out.
 */
import type { SidecarConfig } from '../config/schema.js';
import type { Reloader } from '../runtime/reload.js';
import type { Logger } from '../shared/log.js';
import type { McmApi } from './api.js';
import type { McmMetrics } from './metrics.js';
import { runCycle, type CycleReport } from './runner.js';
import type { McmStateStore } from './state-file.js';

export interface McmLoopDeps {
  /** The config in force now (the current snapshot's); read at every cycle. */
  readonly config: () => SidecarConfig;
  readonly api: (config: SidecarConfig) => Promise<McmApi>;
  readonly store: McmStateStore;
  readonly log: Logger;
  readonly metrics: McmMetrics;
  readonly reloader: Pick<Reloader, 'hold' | 'reload'>;
  readonly random?: () => number;
}

export interface McmLoop {
  /** Run a cycle now (after the one in progress, if any). */
  runNow(): Promise<CycleReport>;
  readonly lastReport: CycleReport | undefined;
  stop(): Promise<void>;
}

export function startMcmLoop(deps: McmLoopDeps): McmLoop {
  const random = deps.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  let running: Promise<CycleReport> | undefined;
  let last: CycleReport | undefined;
  let api: { key: string; client: McmApi } | undefined;

  async function clientFor(config: SidecarConfig): Promise<McmApi> {
    const m = config.mcm;
    const key = JSON.stringify([m.url, m.oauth, m.caFiles, m.timeoutMs]);
    if (api?.key !== key) {
      const old = api?.client;
      api = { key, client: await deps.api(config) };
      await old?.close();
    }
    return api.client;
  }

  async function cycle(): Promise<CycleReport> {
    const config = deps.config();
    const report = await deps.reloader.hold(async () => runCycle({ config, api: await clientFor(config), store: deps.store, log: deps.log }));
    // Recorded before the reload: once the poller is released, it may apply the new files first.
    deps.metrics.record(report);
    if (report.wrote.length > 0) {
      deps.log.info({ files: report.wrote }, 'mcm: files updated; reloading');
      const outcome = await deps.reloader.reload('mcm');
      if (!outcome.ok) deps.log.error({ reason: outcome.error.message }, 'mcm: the files written do not load; the gateways keep the previous snapshot');
    }
    for (const s of report.steps) if (s.state === 'failed') deps.log.warn({ step: s.name, detail: s.detail }, 'mcm step failed');
    last = report;
    return report;
  }

  function schedule(report: CycleReport | undefined): void {
    if (stopped) return;
    const { pollIntervalSeconds, maxBackoffSeconds } = deps.config().mcm;
    let delayS: number;
    if (report === undefined || report.exitCode === 1) {
      failures = report === undefined ? failures : failures + 1;
      const base = Math.min(maxBackoffSeconds, pollIntervalSeconds * 2 ** Math.max(0, failures - 1));
      delayS = base * (0.8 + 0.4 * random());
    } else {
      failures = 0;
      delayS = pollIntervalSeconds * (0.9 + 0.2 * random());
    }
    timer = setTimeout(() => void tick(), Math.round(delayS * 1000));
    timer.unref();
  }

  async function tick(): Promise<void> {
    let report: CycleReport | undefined;
    try {
      report = await runExclusive();
    } catch (err) {
      deps.log.error({ err }, 'mcm cycle crashed');
      failures++;
    }
    schedule(report);
  }

  function runExclusive(): Promise<CycleReport> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(cycle);
    running = next.finally(() => {
      if (running === next) running = undefined;
    });
    return next;
  }

  void tick();

  return {
    runNow: runExclusive,
    get lastReport() {
      return last;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await api?.client.close();
    },
  };
}
