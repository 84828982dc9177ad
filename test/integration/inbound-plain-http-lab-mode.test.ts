/**
 * inbound.tls.enabled: false (lab set-ups only): plain HTTP, still behind the source allowlist and
 * the JWS check; the core is told the scheme was http and gets no peer identity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { quoteRequest, sdkSign } from '../helpers/inbound-signing.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.tls = { enabled: false };
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('plain HTTP inbound', () => {
  it('forwards a verified request and marks it http', async () => {
    const signed = sdkSign('latest', { privatePem: h.pki.payerJws.privatePem, method: 'POST', path: '/quotes', source: 'payerfsp', destination: 'dfspa', body: quoteRequest() });
    const r = await send({ port: h.port, ca: '', plain: true, method: 'POST', path: '/quotes', headers: signed.headers, body: signed.body });
    expect(r.ok && r.status).toBe(200);
    const hit = h.core.hits.at(-1)!;
    expect(hit.headers['x-forwarded-proto']).toBe('http');
    expect(hit.headers['x-dfsp-sidecar-jws']).toBe('verified; matched=raw');
    expect(hit.headers['x-dfsp-sidecar-peer-cn']).toBeUndefined();
  });

  it('still refuses an unsigned POST and a source outside the allowlist', async () => {
    const r = await send({ port: h.port, ca: '', plain: true, method: 'POST', path: '/quotes', headers: { 'fspiop-source': 'payerfsp', 'content-type': 'application/json' }, body: '{}' });
    expect(r.ok && r.status).toBe(400);
    const other = await send({ port: h.port, ca: '', plain: true, localAddress: '127.0.0.2', path: '/parties/MSISDN/1' });
    expect(other.ok).toBe(false);
    expect(h.core.hits.length).toBe(1);
  });
});
