/**
 * Attack surface: the hub's base path. With `inbound.basePath: /api` the hub calls
 * `/api/transfers/{id}` and signs FSPIOP-URI `/transfers/{id}` (what the hub's ml-api-adapter
 * writes). The sidecar strips the base path before verifying and forwarding, so the core receives
 * exactly the signed path; a target outside the base path, or one that climbs out of it, is
 * refused before anything else looks at it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCoreHit, harnessPeerKeys, httpRequest, rawExchange, signedFor } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { transferFulfil } from '../helpers/inbound-signing.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.basePath = '/api';
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('inbound.basePath', () => {
  it('verifies /api/transfers/1 against FSPIOP-URI /transfers/1 and forwards /transfers/1', async () => {
    const body = JSON.stringify(transferFulfil('1'));
    const signed = signedFor(h.pki.payerJws.privatePem, 'payerfsp', 'PUT', '/transfers/1', body);
    const r = await rawExchange(h, httpRequest('PUT', '/api/transfers/1', signed.headers, signed.body));
    expect(r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.url).toBe('/transfers/1');
    expect(checkCoreHit(hit, harnessPeerKeys(h))).toBeUndefined();
  });

  for (const target of ['/transfers/1', '/apix/transfers/1', '/api/../transfers/1', '/api/%2e%2e/transfers/1']) {
    it(`refuses ${target} with 400/3101 and forwards nothing`, async () => {
      const before = h.core.hits.length;
      const r = await rawExchange(h, httpRequest('GET', target, []));
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).errorInformation.errorCode).toBe('3101');
      expect(h.core.hits.length).toBe(before);
    });
  }
});
