/**
 * Behaviour: a hub 401 forces one token refresh and one resend of the byte-identical request (same
 * body, same FSPIOP-Signature and signed headers; only Authorization differs). Concurrent 401s for
 * the same token share one refresh. A static token is never replaced: its 401 is relayed as is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, total, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let pki: OutboundPki;
let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;
/** Tokens the hub has revoked: requests carrying them get 401. */
const revoked = new Set<string>();

beforeAll(async () => {
  pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (rec, res) => {
    const token = String(rec.headers.authorization ?? '').replace(/^Bearer /, '');
    if (revoked.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      res.end('{"errorInformation":{"errorCode":"3000","errorDescription":"Invalid token"}}');
      return;
    }
    res.writeHead(202, { 'content-length': '0' }).end();
  };
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 300 });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url) });
  await waitFor(() => sidecar.gateway.readiness().ready, 'first token');
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('hub 401', () => {
  it('refreshes once and resends the byte-identical request once', async () => {
    const first = tokens.issued[0]!;
    revoked.add(first);
    const res = await sidecar.send('/transfers', { body: quoteBody(), headers: { 'fspiop-destination': 'dfspz' } });
    expect(res.status).toBe(202);
    expect(tokens.issued).toHaveLength(2);
    const [rejected, resent] = hub.requests.slice(-2);
    expect(rejected!.headers.authorization).toBe(`Bearer ${first}`);
    expect(resent!.headers.authorization).toBe(`Bearer ${tokens.issued[1]}`);
    expect(resent!.body.equals(rejected!.body)).toBe(true);
    for (const h of ['fspiop-signature', 'date', 'fspiop-uri', 'fspiop-http-method', 'fspiop-source', 'fspiop-destination', 'content-length', 'content-type']) {
      expect(resent!.headers[h], h).toBe(rejected!.headers[h]);
    }
    expect(resent!.sdkLatest).toBe('valid');
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_unauthorized_retries_total'), { result: 'resent' })).toBe(1);
  });

  it('shares one refresh among concurrent 401s for the same token', async () => {
    const current = tokens.issued.at(-1)!;
    const before = tokens.calls.length;
    revoked.add(current);
    const results = await Promise.all(Array.from({ length: 12 }, () => sidecar.send('/quotes', { body: quoteBody() })));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(202));
    expect(tokens.calls.length - before).toBe(1);
  });

  it('relays the 401 when the token endpoint hands back the rejected token (nothing better to resend with)', async () => {
    tokens.sameTokenUntilExpiry = true;
    const current = tokens.issued.at(-1)!;
    revoked.add(current);
    const before = hub.requests.length;
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.json().errorInformation.errorDescription).toBe('Invalid token');
    expect(hub.requests.length - before).toBe(1);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_unauthorized_retries_total'), { result: 'no_new_token' })).toBe(1);
    tokens.sameTokenUntilExpiry = false;
  });
});

describe('static token and a hub 401', () => {
  it('is never overwritten: the 401 is relayed and the next request carries the same token', async () => {
    const local = await startOutboundSidecar({ pki, hub: hub.url, oauth: { staticToken: 'static-token-1' } });
    try {
      revoked.add('static-token-1');
      const res = await local.send('/quotes', { body: quoteBody() });
      expect(res.status).toBe(401);
      revoked.delete('static-token-1');
      const next = await local.send('/quotes', { body: quoteBody() });
      expect(next.status).toBe(202);
      expect(hub.requests.at(-1)!.headers.authorization).toBe('Bearer static-token-1');
      expect(total(await local.samples('dfsp_sidecar_outbound_unauthorized_retries_total'), { result: 'static_token' })).toBe(1);
      expect(total(await local.samples('dfsp_sidecar_outbound_token_expiry_timestamp_seconds'))).toBe(Infinity);
    } finally {
      await local.close();
    }
  });
});
