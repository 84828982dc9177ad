/**
 * The MCM answers every auth failure with 401 (mcm-api.md §3.4). When the hub's identity provider
 * revokes the token the running sidecar holds, the next MCM call gets a 401, the client fetches a
 * new token and repeats the call once: the cycle stays clean and nothing is logged as failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sidecar } from '../../src/main.js';
import { waitFor } from '../helpers/outbound-sidecar.js';
import { onboardFully, startMcmWorld, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
let sidecar: Sidecar;
beforeAll(async () => {
  world = await startMcmWorld({ pollIntervalSeconds: 1 });
  await onboardFully(world);
  sidecar = await world.start();
});
afterAll(async () => {
  await world?.close();
});

describe('a revoked MCM token', () => {
  it('is replaced on the 401 and the call repeated, within the same clean cycle', async () => {
    await waitFor(() => sidecar.mcm?.lastReport?.exitCode === 0, 'a first clean cycle', 20_000);
    const tokenFetches = () => world.mcm.calls.filter((c) => c.path.includes('openid-connect/token')).length;
    const fetchesBefore = tokenFetches();
    const callsBefore = world.mcm.calls.length;
    world.mcm.revokeTokens();
    const report = await sidecar.mcm!.runNow();
    expect(report.exitCode).toBe(0);
    const calls = world.mcm.calls.slice(callsBefore);
    const rejected = calls.filter((c) => c.status === 401);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.auth).toBe('invalid');
    expect(tokenFetches()).toBe(fetchesBefore + 1);
    // The refused call was repeated with the new token and answered.
    const again = calls.slice(calls.indexOf(rejected[0]!) + 1).find((c) => c.method === rejected[0]!.method && c.path === rejected[0]!.path);
    expect(again?.status).toBe(200);
  });
});
