/**
 * `onboard --wait` keeps polling while the hub has not signed our CSR, with one enrollment however
 * many cycles it takes, and finishes (exit 0) on the cycle after the hub signs. Without --wait,
 * every run is one cycle and reports the wait (exit 3) with the enrollment it waits on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DFSP_ID, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';
import { waitFor } from '../helpers/outbound-sidecar.js';

let world: McmWorld;
beforeAll(async () => {
  world = await startMcmWorld({ pollIntervalSeconds: 1 });
});
afterAll(async () => {
  await world?.close();
});

describe('the hub signing late', () => {
  it('is waited for, with a single enrollment, until it signs', async () => {
    const first = await world.onboard();
    expect(first.exitCode).toBe(3);
    const id = world.mcm.state(DFSP_ID).inbound[0]!.id;
    expect(first.steps.find((s) => s.step === 'client-cert')?.detail).toContain(`enrollment ${id} (missing) is CSR_LOADED: waiting for the hub to sign it`);

    const waiting = world.onboard(['--wait', '60']);
    // Let it poll at least twice before the hub signs.
    const polls = () => world.mcm.calls.filter((c) => c.method === 'GET' && c.path.endsWith(`/enrollments/inbound/${id}`)).length;
    const base = polls();
    await waitFor(() => polls() >= base + 2, 'two more polls of the enrollment', 20_000);
    await world.mcm.signInbound(DFSP_ID);
    const r = await waiting;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/waiting on the hub; next attempt in 1 s/);
    expect(world.mcm.state(DFSP_ID).inbound).toHaveLength(1);
  });
});
