/** The cycle: declared order, prerequisites that are not done stop their dependants, errors become the step's failure, exit codes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SidecarConfig } from '../../../src/config/schema.js';
import type { McmApi } from '../../../src/mcm/api.js';
import { runCycle } from '../../../src/mcm/runner.js';
import { createStateStore } from '../../../src/mcm/state-file.js';
import { done, failed, waiting, type Step, type StepName, type StepOutcome } from '../../../src/mcm/step.js';
import { createSilentLogger } from '../../../src/shared/log.js';

const config = {} as SidecarConfig;
const api = {} as McmApi;

function step(name: StepName, after: StepName[], run: () => Promise<StepOutcome> | StepOutcome, ran: StepName[]): Step {
  return { name, mcmKey: name.toUpperCase(), enabled: () => true, after, run: async () => (ran.push(name), run()) };
}

async function cycle(steps: Step[]) {
  const store = createStateStore(mkdtempSync(join(tmpdir(), 'mcm-runner-')));
  return runCycle({ config, api, store, log: createSilentLogger(), steps });
}

describe('runCycle', () => {
  it('runs every step in the declared order and exits 0 when all are done', async () => {
    const ran: StepName[] = [];
    const r = await cycle([step('dfsp-ca', [], () => done('a'), ran), step('hub-ca', [], () => done('b', { wrote: ['/x'] }), ran), step('client-cert', ['hub-ca'], () => done('c', { wrote: ['/x', '/y'] }), ran)]);
    expect(ran).toEqual(['dfsp-ca', 'hub-ca', 'client-cert']);
    expect(r.exitCode).toBe(0);
    expect(r.wrote).toEqual(['/x', '/y']);
  });

  it('does not run a step whose prerequisite is waiting, and exits 3', async () => {
    const ran: StepName[] = [];
    const r = await cycle([step('hub-ca', [], () => waiting('hub'), ran), step('client-cert', ['hub-ca'], () => done('never'), ran), step('peer-keys', [], () => done('independent'), ran)]);
    expect(ran).toEqual(['hub-ca', 'peer-keys']);
    expect(r.steps.find((s) => s.name === 'client-cert')).toMatchObject({ state: 'waiting', detail: 'not run yet: waits for hub-ca' });
    expect(r.exitCode).toBe(3);
  });

  it('turns a thrown error into that step failing, runs the others, and exits 1', async () => {
    const ran: StepName[] = [];
    const r = await cycle([
      step('hub-ca', [], () => {
        throw new Error('GET /hub/ca: HTTP 500: boom');
      }, ran),
      step('client-cert', ['hub-ca'], () => done('never'), ran),
      step('endpoints', [], () => waiting('w'), ran),
    ]);
    expect(ran).toEqual(['hub-ca', 'endpoints']);
    expect(r.steps.map((s) => [s.name, s.state, s.detail])).toEqual([
      ['hub-ca', 'failed', 'GET /hub/ca: HTTP 500: boom'],
      ['client-cert', 'failed', 'not run: hub-ca failed'],
      ['endpoints', 'waiting', 'w'],
    ]);
    expect(r.exitCode).toBe(1);
  });

  it('leaves out steps that are switched off', async () => {
    const ran: StepName[] = [];
    const off: Step = { ...step('endpoints', [], () => failed('x'), ran), enabled: () => false };
    const r = await cycle([off, step('peer-keys', [], () => done('p'), ran)]);
    expect(r.steps.map((s) => s.name)).toEqual(['peer-keys']);
    expect(r.exitCode).toBe(0);
  });
});
