/**
 * One cycle of the MCM steps: each enabled step in the declared order, a step whose prerequisite
 * is not done reported as waiting (or failed) for it rather than run, every error turned into that
 * step's `failed` outcome with its message, and the state file saved at the end. `onboard` runs one
 * cycle; `run` runs one per interval (src/mcm/loop.ts).
 */
import type { SidecarConfig } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { McmApi } from './api.js';
import { StateLocked, type McmStateStore } from './state-file.js';
import { failed, waiting, type Step, type StepName, type StepOutcome } from './step.js';
import { MCM_STEPS } from './steps/index.js';

export interface StepReport extends StepOutcome {
  readonly name: StepName;
}

export interface CycleReport {
  readonly steps: readonly StepReport[];
  readonly wrote: readonly string[];
  /** 0: every step done; 1: a step failed; 3: waiting on the hub (and nothing failed). */
  readonly exitCode: 0 | 1 | 3;
  readonly at: Date;
}

export interface CycleOptions {
  readonly config: SidecarConfig;
  readonly api: McmApi;
  readonly store: McmStateStore;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly rotateJwsKey?: boolean;
  readonly steps?: readonly Step[];
}

export async function runCycle(opts: CycleOptions): Promise<CycleReport> {
  const now = opts.now ?? (() => new Date());
  try {
    // Long enough for another cycle's calls to finish (each bounded by mcm.timeoutMs).
    return await opts.store.locked(() => cycleUnlocked(opts, now), Math.max(30_000, (opts.config.mcm?.timeoutMs ?? 15_000) * 4));
  } catch (err) {
    if (!(err instanceof StateLocked)) throw err;
    const steps = (opts.steps ?? MCM_STEPS).filter((s) => s.enabled(opts.config));
    return { steps: steps.map((s) => ({ name: s.name, ...failed(err.message) })), wrote: [], exitCode: 1, at: now() };
  }
}

async function cycleUnlocked(opts: CycleOptions, now: () => Date): Promise<CycleReport> {
  const steps = (opts.steps ?? MCM_STEPS).filter((s) => s.enabled(opts.config));
  const results = new Map<StepName, StepOutcome>();
  const reports: StepReport[] = [];
  const wrote: string[] = [];
  let state;
  try {
    state = await opts.store.load();
  } catch (err) {
    const outcome = failed(`cannot read the MCM state: ${err instanceof Error ? err.message : String(err)}`);
    return { steps: steps.map((s) => ({ name: s.name, ...outcome })), wrote, exitCode: 1, at: now() };
  }
  for (const step of steps) {
    const blocker = step.after.map((n) => [n, results.get(n)] as const).find(([, r]) => r !== undefined && r.state !== 'done');
    let outcome: StepOutcome;
    if (blocker) {
      const [dep, r] = blocker;
      outcome = r!.state === 'failed' ? failed(`not run: ${dep} failed`) : waiting(`not run yet: waits for ${dep}`);
    } else {
      try {
        outcome = await step.run({ config: opts.config, api: opts.api, store: opts.store, state, now, log: opts.log, results, rotateJwsKey: opts.rotateJwsKey ?? false });
      } catch (err) {
        outcome = failed(err instanceof Error ? err.message : String(err));
      }
    }
    results.set(step.name, outcome);
    reports.push({ name: step.name, ...outcome });
    wrote.push(...(outcome.wrote ?? []));
    opts.log[outcome.state === 'failed' ? 'warn' : 'debug']({ step: step.name, state: outcome.state, detail: outcome.detail }, 'mcm step');
  }
  try {
    await opts.store.save(state);
  } catch (err) {
    reports.push({ name: 'states', ...failed(`cannot save the MCM state: ${err instanceof Error ? err.message : String(err)}`) });
  }
  const exitCode = reports.some((r) => r.state === 'failed') ? 1 : reports.some((r) => r.state === 'waiting') ? 3 : 0;
  return { steps: reports, wrote: [...new Set(wrote)], exitCode, at: now() };
}
