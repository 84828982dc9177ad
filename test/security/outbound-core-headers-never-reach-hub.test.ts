/**
 * Attack class: header smuggling through the outbound gateway. Whatever the core (or anything that
 * can reach the loopback listener) sets, only the declared policy reaches the hub: FSPIOP, content
 * and trace headers, x-request-id and the operator's allowlist. Cookies, forwarding headers,
 * credentials and the sidecar's own `x-dfsp-sidecar-*` names are dropped (names listed in Connection
 * too: test/unit/outbound/hub-headers.test.ts, as undici will not send such a Connection header).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, tweak: (raw) => void (raw.outbound.headers = { allow: ['x-partner-ref'] }) });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

describe('the outbound header policy', () => {
  it('lets through only FSPIOP, content, trace, request-id and allowlisted headers', async () => {
    const res = await sidecar.send('/quotes', {
      body: quoteBody(),
      headers: {
        'fspiop-destination': 'dfspz',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'vendor=1',
        'x-request-id': 'core-req-7',
        'x-partner-ref': 'p-1',
        'x-forwarded-for': '10.9.8.7',
        'x-forwarded-host': 'core.internal',
        forwarded: 'for=10.9.8.7',
        cookie: 'session=abc',
        'user-agent': 'core/1.0',
        'x-dfsp-sidecar-identity': 'dfspz',
        'x-core-internal': 'routing-hint',
        'x-hidden': 'smuggled',
        authorization: 'Bearer core-own',
        'fspiop-signature': '{"signature":"forged"}',
      },
    });
    expect(res.status).toBe(202);
    const got = hub.requests.at(-1)!;
    const names = Object.keys(got.headers).sort();
    expect(names).toEqual(
      [
        'accept', 'connection', 'content-length', 'content-type', 'date', 'fspiop-destination', 'fspiop-http-method', 'fspiop-signature', 'fspiop-source', 'fspiop-uri', 'host',
        'traceparent', 'tracestate', 'x-partner-ref', 'x-request-id',
      ].sort(),
    );
    expect(got.headers['x-request-id']).toBe('core-req-7');
    expect(got.headers['x-partner-ref']).toBe('p-1');
    // No token source configured here: the core's own credentials do not stand in for one.
    expect(got.headers.authorization).toBeUndefined();
    expect(got.sdkLatest).toBe('valid');
  });

  it('refuses an allowlist entry that would let the sidecar\'s own headers or credentials leave', async () => {
    for (const name of ['x-dfsp-sidecar-identity', 'authorization', 'fspiop-signature']) {
      await expect(sidecar.reload((raw) => void (raw.outbound.headers = { allow: [name] })), name).rejects.toThrow(/never leave in the core's name|set by the sidecar, never taken from the core/);
    }
  });
});
