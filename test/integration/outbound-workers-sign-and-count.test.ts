/**
 * Behaviour: with signing on worker threads, every signature still validates at the hub (RS256 and
 * ES256 identities mixed, requests in parallel) and the metrics count exactly what happened: one
 * request and one signature per call, all attributed to the workers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem, dfspb: pki.jwsEc.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, workers: 2 });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

describe('outbound.workers: 2', () => {
  it('signs on worker threads: all requests validate and are counted once', async () => {
    const n = 60;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sidecar.send(i % 3 === 0 ? '/transfers' : '/quotes', {
          body: quoteBody(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
          headers: { 'fspiop-destination': 'dfspz', ...(i % 2 === 0 ? { 'fspiop-source': 'dfspb' } : {}) },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(202));
    expect(hub.requests).toHaveLength(n);
    expect(hub.requests.filter((r) => r.sdkLatest === 'valid' && r.sdkLegacy === 'valid')).toHaveLength(n);
    // Each body went to the hub exactly once (no duplicates, none lost across threads).
    const ids = new Set(hub.requests.map((r) => JSON.parse(r.body.toString()).quoteId));
    expect(ids.size).toBe(n);

    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'ok', status: '202' })).toBe(n);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { resource: 'transfers' })).toBe(20);
    const signs = await sidecar.samples('dfsp_sidecar_outbound_sign_duration_seconds_count');
    expect(total(signs, { mode: 'worker' })).toBe(n);
    expect(total(signs, { mode: 'worker', alg: 'ES256' })).toBe(30);
    expect(total(signs, { mode: 'event_loop' })).toBe(0);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_sign_workers'))).toBe(2);
    expect(sidecar.gateway.readiness()).toEqual({ ready: true });
  });

  it('a refused body is refused from the worker with the catalogue code, and counted', async () => {
    const res = await sidecar.send('/quotes', { body: '{"a":1,"a":2}' });
    expect(res.status).toBe(400);
    expect(res.json().errorInformation.errorCode).toBe('3101');
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'UNSIGNABLE_BODY' })).toBe(1);
  });
});
