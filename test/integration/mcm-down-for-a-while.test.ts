/**
 * The MCM going away does not touch traffic or readiness: the gateways keep the credentials they
 * hold, /readyz stays 200, the failed cycles are counted and back off; when the MCM is back, the
 * next cycle is clean again, without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sidecar } from '../../src/main.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/outbound-sidecar.js';
import { DFSP_ID, quoteThroughOutbound, startMcmWorld, onboardFully, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
let sidecar: Sidecar;
beforeAll(async () => {
  world = await startMcmWorld({ pollIntervalSeconds: 1 });
  await onboardFully(world);
  sidecar = await world.start();
  world.hub.setKeys({ [DFSP_ID]: world.mcm.state(DFSP_ID).jws!.publicKey });
});
afterAll(async () => {
  await world?.close();
});

async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const samples = parsePrometheusText(await sidecar.metrics.registry.metrics()).samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return samples.reduce((a, s) => a + s.value, 0);
}

async function readyz(): Promise<number> {
  const a = sidecar.addresses.admin!;
  return (await fetch(`http://127.0.0.1:${a.port}/readyz`)).status;
}

describe('the MCM down for a while', () => {
  it('changes nothing for traffic or readiness, and the loop recovers by itself', async () => {
    await waitFor(async () => (await sample('dfsp_sidecar_mcm_cycles_total', { result: 'done' })) >= 1, 'a first clean MCM cycle', 20_000);
    expect(await sample('dfsp_sidecar_mcm_step_state', { step: 'client-cert', state: 'done' })).toBe(1);

    await world.mcm.pause();
    const failedBefore = await sample('dfsp_sidecar_mcm_cycles_total', { result: 'failed' });
    await waitFor(async () => (await sample('dfsp_sidecar_mcm_cycles_total', { result: 'failed' })) >= failedBefore + 2, 'two failed MCM cycles', 20_000);
    expect(await sample('dfsp_sidecar_mcm_step_state', { step: 'hub-ca', state: 'failed' })).toBe(1);
    expect(await readyz()).toBe(200);
    for (let i = 0; i < 5; i++) expect((await quoteThroughOutbound(sidecar)).status).toBe(202);

    await world.mcm.resume();
    const doneBefore = await sample('dfsp_sidecar_mcm_cycles_total', { result: 'done' });
    // Backoff is capped at maxBackoffSeconds (2 s, ±20 %) in this world.
    await waitFor(async () => (await sample('dfsp_sidecar_mcm_cycles_total', { result: 'done' })) > doneBefore, 'a clean MCM cycle after the MCM came back', 20_000);
    expect(await sample('dfsp_sidecar_mcm_step_state', { step: 'hub-ca', state: 'done' })).toBe(1);
    expect(await sample('dfsp_sidecar_mcm_step_last_success_timestamp_seconds', { step: 'hub-ca' })).toBeGreaterThan(Date.now() / 1000 - 30);
    expect(await readyz()).toBe(200);
  });
});
