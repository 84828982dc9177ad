/**
 * Behaviour: whatever FSPIOP resource and method the core sends, the hub receives a request that
 * both real SDK validators accept (19.19.x as the hub services run it, 19.18.8 as sdk-scheme-adapter
 * pins it), over mutual TLS with our client certificate, with the core's own Authorization and
 * FSPIOP-Signature gone, and the hub's answer relayed unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let pki: OutboundPki;
let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem, dfspb: pki.jwsEc.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

const bodies: Record<string, () => unknown> = {
  parties: () => ({ party: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123', fspId: 'dfspa' }, name: 'Zoë Ünal' } }),
  participants: () => ({ requestId: 'f5b4b9b3-7fbb-4a4e-9b42-1e8d1f4c6d10', partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '1' }], currency: 'USD' }),
  quotes: () => JSON.parse(quoteBody()),
  transfers: () => ({ transferId: 'b51ec534-ee48-4575-b6a9-ead2955b8069', payerFsp: 'dfspa', payeeFsp: 'dfspz', amount: { currency: 'USD', amount: '10.5' }, ilpPacket: 'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3BhLm1lci45NWY', condition: 'f5sqb7tBTWPd5Y8BDFdMm9BJR_MNI4isf8p8n4D5pHA', expiration: '2030-01-01T00:00:00.000Z' }),
  bulkQuotes: () => ({ bulkQuoteId: 'c0c4fa4e-2f0c-4b8e-a5a4-7d4f2a2d9b11', payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '9' } }, individualQuotes: [{ quoteId: 'a', transactionId: 'b', amount: { amount: '1', currency: 'USD' } }] }),
  bulkTransfers: () => ({ bulkTransferId: 'd3b0b6e0-1b9f-4b8a-8f3e-5b0a7f3c2e44', individualTransfers: [{ transferId: 'x', transferAmount: { amount: '1', currency: 'USD' } }], expiration: '2030-01-01T00:00:00.000Z' }),
  transactionRequests: () => ({ transactionRequestId: 'e1', payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1' } }, amount: { amount: '5', currency: 'USD' } }),
  authorizations: () => ({ authenticationInfo: { authentication: 'OTP', authenticationValue: '1234' }, responseType: 'ENTERED' }),
  fxQuotes: () => ({ conversionRequestId: 'r1', conversionTerms: { sourceAmount: { currency: 'USD', amount: '10' }, targetAmount: { currency: 'ZMW' } } }),
  fxTransfers: () => ({ commitRequestId: 'c1', sourceAmount: { currency: 'USD', amount: '10' }, targetAmount: { currency: 'ZMW', amount: '200' } }),
};

const cases: Array<{ method: string; path: string; resource: string }> = [
  { method: 'POST', path: '/quotes', resource: 'quotes' },
  { method: 'PUT', path: '/quotes/7c23e80c-d078-4077-8263-2c047876fcf6', resource: 'quotes' },
  { method: 'PUT', path: '/quotes/7c23e80c-d078-4077-8263-2c047876fcf6/error', resource: 'quotes' },
  { method: 'POST', path: '/transfers', resource: 'transfers' },
  { method: 'PUT', path: '/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069', resource: 'transfers' },
  { method: 'PATCH', path: '/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069', resource: 'transfers' },
  { method: 'PUT', path: '/parties/MSISDN/123', resource: 'parties' },
  { method: 'POST', path: '/participants', resource: 'participants' },
  { method: 'POST', path: '/bulkQuotes', resource: 'bulkQuotes' },
  { method: 'POST', path: '/bulkTransfers', resource: 'bulkTransfers' },
  { method: 'POST', path: '/transactionRequests', resource: 'transactionRequests' },
  { method: 'PUT', path: '/authorizations/e1', resource: 'authorizations' },
  { method: 'POST', path: '/fxQuotes', resource: 'fxQuotes' },
  { method: 'POST', path: '/fxTransfers', resource: 'fxTransfers' },
];

describe('signed requests reach the hub and pass both SDK validators', () => {
  it.each(cases)('$method $path', async ({ method, path, resource }) => {
    const body = JSON.stringify(bodies[resource]!());
    const before = hub.requests.length;
    const res = await sidecar.send(path, {
      method,
      body,
      headers: { 'fspiop-destination': 'dfspz', authorization: 'Bearer core-must-not-leak', 'fspiop-signature': '{"signature":"x","protectedHeader":"y"}' },
    });
    expect(res.status).toBe(202);
    expect(hub.requests.length).toBe(before + 1);
    const rec = hub.requests.at(-1)!;
    expect(rec.method).toBe(method);
    expect(rec.url).toBe(path);
    expect(rec.clientCn).toBe('dfspa');
    expect(rec.sdkLatest).toBe('valid');
    expect(rec.sdkLegacy).toBe('valid');
    expect(rec.headers['fspiop-source']).toBe('dfspa');
    expect(rec.headers['fspiop-destination']).toBe('dfspz');
    expect(rec.headers['fspiop-uri']).toBe(path);
    expect(rec.headers['fspiop-http-method']).toBe(method);
    expect(rec.headers.authorization).toBeUndefined();
    expect(rec.headers['fspiop-signature']).not.toContain('"x"');
    // The bytes sent are the canonical form of what the core sent: same data, keys sorted.
    expect(JSON.parse(rec.body.toString('utf8'))).toEqual(JSON.parse(body));
    expect(Number(rec.headers['content-length'])).toBe(rec.body.length);
  });

  it('signs as a configured extra identity with its own key (ES256, P-256)', async () => {
    const res = await sidecar.send('/quotes', { body: quoteBody(), headers: { 'fspiop-source': 'dfspb', 'fspiop-destination': 'dfspz' } });
    expect(res.status).toBe(202);
    const rec = hub.requests.at(-1)!;
    expect(rec.headers['fspiop-source']).toBe('dfspb');
    const ph = JSON.parse(Buffer.from(JSON.parse(rec.headers['fspiop-signature'] as string).protectedHeader, 'base64url').toString('utf8'));
    expect(ph.alg).toBe('ES256');
    expect(rec.sdkLatest).toBe('valid');
    expect(rec.sdkLegacy).toBe('valid');
  });

  it('forwards GET unsigned, with our identity and the query intact', async () => {
    const res = await sidecar.send('/parties/MSISDN/123?currency=USD', { method: 'GET', headers: { 'fspiop-destination': 'dfspz' } });
    expect(res.status).toBe(202);
    const rec = hub.requests.at(-1)!;
    expect(rec.url).toBe('/parties/MSISDN/123?currency=USD');
    expect(rec.sdkLatest).toBe('unsigned');
    expect(rec.headers['fspiop-source']).toBe('dfspa');
    expect(rec.headers.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('relays the hub answer unchanged: status, headers and body', async () => {
    hub.handler = (_rec, res) => {
      res.writeHead(400, { 'content-type': 'application/vnd.interoperability.error+json', 'x-hub-trace': 'abc' });
      res.end('{"errorInformation":{"errorCode":"3100","errorDescription":"Generic validation error"}}');
    };
    try {
      const res = await sidecar.send('/quotes', { body: quoteBody() });
      expect(res.status).toBe(400);
      expect(res.headers['x-hub-trace']).toBe('abc');
      expect(res.headers['content-type']).toBe('application/vnd.interoperability.error+json');
      expect(res.json()).toEqual({ errorInformation: { errorCode: '3100', errorDescription: 'Generic validation error' } });
    } finally {
      hub.handler = (await import('../helpers/outbound-hub.js')).accept;
    }
  });

  it('refuses an FSPIOP-Source that is not one of our identities, before the hub sees anything', async () => {
    const before = hub.requests.length;
    const res = await sidecar.send('/quotes', { body: quoteBody(), headers: { 'fspiop-source': 'somebody-else' } });
    expect(res.status).toBe(400);
    expect(res.json().errorInformation.errorCode).toBe('3100');
    expect(hub.requests.length).toBe(before);
  });

  it('refuses a body no validator could verify, with the catalogue answer', async () => {
    const before = hub.requests.length;
    const res = await sidecar.send('/quotes', { body: '{"amount": 12345678901234567890}' });
    expect(res.status).toBe(400);
    expect(res.json().errorInformation.errorCode).toBe('3101');
    const bad = await sidecar.send('/quotes', { body: 'not json' });
    expect(bad.status).toBe(400);
    expect(hub.requests.length).toBe(before);
  });
});
