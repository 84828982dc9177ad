/**
 * Behaviour: a hub that answers 401 to every token cannot make the sidecar storm the token
 * endpoint. The first 401 triggers one fetch and one resend; within
 * outbound.oauth.rejectionRefreshMinSeconds every further 401 is relayed without a fetch, counted as
 * `refresh_throttled`, and the warning is written at most once a second with the number suppressed.
 * (Before: each resend batch started a fresh fetch, 603 fetches in 10 s at 10 connections.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, total, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (_rec, res) => void res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' }).end('{"errorInformation":{"errorCode":"3000","errorDescription":"Unauthorized"}}');
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 300 });
  // An interval far longer than the test: inside it no 401 may cause a fetch.
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url, { rejectionRefreshMinSeconds: 600 }), captureLogs: true, logLevel: 'info' });
  await waitFor(() => sidecar.gateway.readiness().ready, 'first token');
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('a hub refusing every token', () => {
  it('costs one token fetch per interval, not one per batch of 401s', async () => {
    const started = Date.now();
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => sidecar.send('/quotes', { body: quoteBody() })));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(401));
    }
    expect(tokens.calls).toHaveLength(2); // the first token, and the one refresh the first 401s shared
    const retries = await sidecar.samples('dfsp_sidecar_outbound_unauthorized_retries_total');
    expect(total(retries, { result: 'refresh_throttled' })).toBeGreaterThanOrEqual(40);
    expect(total(retries)).toBe(total(retries, { result: 'resent' }) + total(retries, { result: 'refresh_throttled' }) + total(retries, { result: 'no_new_token' }));
    // Throttled warnings: at most one line per second (bound derived from the real elapsed time), not one per 401.
    const lines = sidecar.logs.filter((l) => l.result === 'refresh_throttled');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1);
    expect(lines.length).toBeLessThan(total(retries, { result: 'refresh_throttled' }));
  });
});
