/**
 * Behaviour: the hub gets `Authorization: Bearer <token>` from an OAuth2 client-credentials call
 * made exactly as §7 of the reference describes (Basic client auth, form body, scope), over TLS
 * trusting the hub CA; requests that arrive before the first token all wait for the same single
 * fetch instead of going out without a token or starting fetches of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 300 });
  tokens.delayMs = 400; // the first token takes a while: requests pile up behind it
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url, { scope: 'fspiop hub:write' }) });
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('OAuth token', () => {
  it('is fetched once for all requests waiting at start, and attached to each', async () => {
    expect(sidecar.gateway.readiness()).toMatchObject({ ready: false });
    const results = await Promise.all(Array.from({ length: 25 }, () => sidecar.send('/quotes', { body: quoteBody() })));
    expect(results.map((r) => r.status)).toEqual(Array(25).fill(202));
    expect(tokens.calls).toHaveLength(1);
    expect(hub.requests).toHaveLength(25);
    for (const r of hub.requests) expect(r.headers.authorization).toBe(`Bearer ${tokens.issued[0]}`);
    expect(sidecar.gateway.readiness()).toEqual({ ready: true });
  });

  it('is requested as client_credentials with Basic client authentication and the scope', () => {
    const call = tokens.calls[0]!;
    expect(call.authorization).toBe(`Basic ${Buffer.from('dfspa-client:dfspa-secret-value').toString('base64')}`);
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(call.form)).toEqual({ grant_type: 'client_credentials', scope: 'fspiop hub:write' });
    // Without oauth.mtls no client certificate is presented to the token endpoint.
    expect(call.clientCn).toBeUndefined();
  });

  it('publishes its expiry and the fetch outcome as metrics', async () => {
    const expiry = total(await sidecar.samples('dfsp_sidecar_outbound_token_expiry_timestamp_seconds'));
    const { expiresAt } = tokens.lifetimes.get(tokens.issued[0]!)!;
    expect(Math.abs(expiry - expiresAt / 1000)).toBeLessThan(5);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_token_refreshes_total'), { outcome: 'success' })).toBe(1);
  });
});
