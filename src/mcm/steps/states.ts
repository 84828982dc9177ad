/**
 * The progress report, POST /dfsps/{id}/states (mcm-api.md §7.12): each step's state under the key
 * MCM knows it by, so the hub's operators see where a DFSP's onboarding stands. Runs last, after
 * every other step of the cycle.
 */
import type { StateReport, StepStatus } from '../api.js';
import { done, type Step, type StepState } from '../step.js';

const STATUS: Record<StepState, StepStatus> = { done: 'completed', waiting: 'inProgress', failed: 'inError' };

export function statesStep(all: readonly Step[]): Step {
  return {
    name: 'states',
    mcmKey: '',
    enabled: (c) => c.mcm.steps.states,
    after: [],
    async run(ctx) {
      const lastUpdated = ctx.now().toISOString();
      const report: Record<string, StateReport> = {};
      for (const step of all) {
        const outcome = ctx.results.get(step.name);
        if (!outcome || step.mcmKey === '') continue;
        const text = outcome.detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
        report[step.mcmKey] = {
          status: STATUS[outcome.state],
          lastUpdated,
          stateDescription: text,
          ...(outcome.state === 'failed' ? { errorDescription: text } : {}),
        };
      }
      await ctx.api.postStates(report);
      return done(`reported ${Object.keys(report).length} states`);
    },
  };
}
