/**
 * Behaviour: each FSPIOP resource goes to its own hub base URL (like the SDK's ALS_ENDPOINT,
 * QUOTES_ENDPOINT, ...), base paths included, everything else to the default; the path the hub
 * sees is base path + the core's path + query, while FSPIOP-URI stays service-relative. Without a
 * route or default, the core gets 404 / 3002.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let pki: OutboundPki;
let als: OutboundHub;
let quotes: OutboundHub;
let central: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  pki = await outboundPki();
  const start = () => startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  [als, quotes, central] = await Promise.all([start(), start(), start()]);
  sidecar = await startOutboundSidecar({
    pki,
    hub: {
      default: `${central.url}/switch/`,
      routes: { parties: `${als.url}/als`, participants: `${als.url}/als`, quotes: `https://localhost:${quotes.port}/qs/v1` },
      timeoutMs: 5_000,
    },
  });
});
afterAll(async () => {
  await sidecar?.close();
  await Promise.all([als?.close(), quotes?.close(), central?.close()]);
});

describe('route table', () => {
  it('sends parties and participants to the account lookup base URL', async () => {
    expect((await sidecar.send('/parties/MSISDN/123?currency=USD', { method: 'GET' })).status).toBe(202);
    expect((await sidecar.send('/participants', { body: JSON.stringify({ requestId: 'r', partyList: [] }) })).status).toBe(202);
    expect(als.requests.map((r) => r.url)).toEqual(['/als/parties/MSISDN/123?currency=USD', '/als/participants']);
    expect(als.requests[1]!.headers['fspiop-uri']).toBe('/participants');
    expect(als.requests[1]!.sdkLatest).toBe('valid');
  });

  it('sends quotes to their own upstream (by host name, checked against the certificate) with its base path', async () => {
    expect((await sidecar.send('/quotes/abc/error', { method: 'PUT', body: JSON.stringify({ errorInformation: { errorCode: '3100', errorDescription: 'x' } }) })).status).toBe(202);
    expect(quotes.requests.map((r) => r.url)).toEqual(['/qs/v1/quotes/abc/error']);
    expect(quotes.requests[0]!.headers['fspiop-uri']).toBe('/quotes/abc/error');
    expect(quotes.requests[0]!.sdkLegacy).toBe('valid');
  });

  it('sends everything else to the default, under its base path', async () => {
    expect((await sidecar.send('/transfers', { body: quoteBody() })).status).toBe(202);
    expect((await sidecar.send('/fxTransfers/1', { method: 'PATCH', body: '{"conversionState":"COMMITTED"}' })).status).toBe(202);
    expect(central.requests.map((r) => r.url)).toEqual(['/switch/transfers', '/switch/fxTransfers/1']);
    expect(central.requests.map((r) => r.headers['fspiop-uri'])).toEqual(['/transfers', '/fxTransfers/1']);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_upstream_connections'))).toBe(3);
  });

  it('refuses a resource with no route and no default (404 / 3002), and dot segments', async () => {
    const local = await startOutboundSidecar({ pki, hub: { routes: { quotes: quotes.url } } });
    try {
      const res = await local.send('/transfers', { body: quoteBody() });
      expect(res.status).toBe(404);
      expect(res.json().errorInformation.errorCode).toBe('3002');
      // node:http sends an options `path` as written (a URL, even a string one, would normalise the dots away).
      const dots = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(local.url);
        const req = httpRequest({ hostname, port, path: '/quotes/%2e%2e/admin', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(quoteBody());
      });
      expect(dots.status).toBe(404);
      expect(JSON.parse(dots.body).errorInformation.extensionList.extension[0].value).toBe('dot_segment');
      expect(quotes.requests.some((r) => r.url.includes('admin'))).toBe(false);
    } finally {
      await local.close();
    }
  });
});
