/**
 * Behaviour: a hub that does not answer within outbound.hub.timeoutMs gets the core a 504 with FSPIOP
 * 2004 (server timed out); the request is not resent; the sidecar's own time and the hub's time are
 * reported apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;
const held: ServerResponse[] = [];

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (_rec, res) => void held.push(res); // never answers
  sidecar = await startOutboundSidecar({ pki, hub: { default: hub.url, timeoutMs: 400 } });
});
afterAll(async () => {
  for (const r of held) r.destroy();
  await sidecar?.close();
  await hub?.close();
});

describe('hub slow', () => {
  it('answers 504 / 2004 after the hub timeout, without resending', async () => {
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(504);
    expect(res.json().errorInformation).toMatchObject({ errorCode: '2004', errorDescription: 'Server timed out' });
    expect(hub.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.requests).toHaveLength(1);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'HUB_TIMEOUT', status: '504' })).toBe(1);
    // The wait is booked to the hub, not to the sidecar.
    const hubSum = total(await sidecar.samples('dfsp_sidecar_outbound_hub_duration_seconds_sum'));
    const ownSum = total(await sidecar.samples('dfsp_sidecar_outbound_sidecar_duration_seconds_sum'));
    expect(hubSum).toBeGreaterThanOrEqual(0.39);
    expect(ownSum).toBeLessThan(hubSum);
  });
});
