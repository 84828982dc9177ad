/**
 * Rotating our JWS key beside a running sidecar (`onboard --rotate-jws-key`): the new public key is
 * published first, the old key keeps signing for switchAfterSeconds so peers can fetch the new
 * one, then the running sidecar signs with the new key. Every request the hub received verifies
 * with a key MCM had published, and none is signed with the new key before it was published for
 * switchAfterSeconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sidecar } from '../../src/main.js';
import { accept } from '../helpers/outbound-hub.js';
import { waitFor } from '../helpers/outbound-sidecar.js';
import { DFSP_ID, quoteThroughOutbound, startMcmWorld, onboardFully, type McmWorld } from '../helpers/mcm-world.js';

let world: McmWorld;
let sidecar: Sidecar;
const arrivals: Array<{ at: number; keySet: number }> = [];
beforeAll(async () => {
  world = await startMcmWorld({ pollIntervalSeconds: 1, mcmExtra: '  jwsKey: { switchAfterSeconds: 3 }' });
  await onboardFully(world);
  sidecar = await world.start();
  world.hub.setKeys({ [DFSP_ID]: world.mcm.state(DFSP_ID).jws!.publicKey });
  world.hub.handler = (rec, res, req) => {
    arrivals.push({ at: Date.now(), keySet: rec.keySet });
    accept(rec, res, req);
  };
});
afterAll(async () => {
  await world?.close();
});

describe('our JWS key rotated through MCM', () => {
  it('publishes first, keeps signing with the old key, then switches', async () => {
    const oldKey = world.mcm.state(DFSP_ID).jws!.publicKey;
    let running = true;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (running) statuses.push((await quoteThroughOutbound(sidecar)).status);
    })();
    let rotationAsked = 0;
    try {
      await waitFor(() => statuses.length > 5, 'traffic signed with the first key', 20_000);
      // The publication happens after this instant, so the switch cannot come before it plus switchAfterSeconds.
      rotationAsked = Date.now();
      const r = await world.onboard(['--rotate-jws-key']);
      expect(r.exitCode).toBe(0);
      expect(r.steps.find((s) => s.step === 'jws-key')?.detail).toMatch(/rotation: new key published, the old one signs until/);
      const newKey = world.mcm.state(DFSP_ID).jws!.publicKey;
      expect(newKey).not.toBe(oldKey);
      world.hub.setKeys([{ [DFSP_ID]: oldKey }, { [DFSP_ID]: newKey }]);
      await waitFor(() => arrivals.some((a) => a.keySet === 1), 'a request signed with the new key', 30_000);
      const switched = arrivals.length;
      await waitFor(() => arrivals.length > switched + 5, 'traffic after the switch', 20_000);
    } finally {
      running = false;
      await traffic;
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(arrivals.every((a) => a.keySet >= 0)).toBe(true);
    const firstNew = arrivals.find((a) => a.keySet === 1)!;
    // Not before switchAfterSeconds (3 s) after the publication, itself after rotationAsked.
    expect(firstNew.at - rotationAsked).toBeGreaterThanOrEqual(3_000);
    // One request at a time: once one arrived signed with the new key, every later one is too.
    expect(arrivals.slice(arrivals.indexOf(firstNew)).every((a) => a.keySet === 1)).toBe(true);
  });
});
