/**
 * Behaviour: a body over outbound.bodyLimitBytes is refused with the catalogue's 413 / 3104, whether
 * it declares its length or streams chunked, and nothing reaches the hub; a body at the limit passes.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

const LIMIT = 2_048;
let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, tweak: (raw) => void (raw.outbound.bodyLimitBytes = LIMIT) });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

/** A JSON body of exactly `size` bytes. */
const jsonOf = (size: number) => {
  const pad = size - '{"note":""}'.length;
  return `{"note":"${'x'.repeat(pad)}"}`;
};

describe('body limit', () => {
  it('refuses a declared oversize body with 413 / 3104', async () => {
    const res = await sidecar.send('/quotes', { body: jsonOf(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(res.json().errorInformation).toMatchObject({ errorCode: '3104', errorDescription: 'Too large payload' });
  });

  it('refuses an oversize chunked body as it streams', async () => {
    const { hostname, port } = new URL(sidecar.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ hostname, port, path: '/quotes', method: 'POST', headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', 'transfer-encoding': 'chunked' } }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const text = jsonOf(LIMIT * 4);
      for (let i = 0; i < text.length; i += 1000) req.write(text.slice(i, i + 1000));
      req.end();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errorInformation.errorCode).toBe('3104');
  });

  it('passes a body at the limit, and the refusals never reached the hub', async () => {
    const res = await sidecar.send('/quotes', { body: jsonOf(LIMIT) });
    expect(res.status).toBe(202);
    expect(hub.requests).toHaveLength(1);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'BODY_TOO_LARGE', status: '413' })).toBe(2);
  });
});
