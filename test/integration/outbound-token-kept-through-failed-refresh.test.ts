/**
 * Behaviour: when refreshing fails, the current token keeps being used until it really expires
 * (the SDK drops it at once); after expiry, with the endpoint still failing, the core gets a clear
 * 503 (2003) and readiness turns false; when the endpoint recovers, the next retry restores service
 * without a restart. The process never exits over a token error.
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
  // 6 s tokens, 5 s margin (capped at half the lifetime): the first refresh (which will fail) comes
  // after about 3 s, with about 3 s of validity left for the "still served" step.
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 6 });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url, { marginSeconds: 5 }) });
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('a failing token endpoint', () => {
  it('does not take away a token that is still valid, then fails clearly, then recovers', async () => {
    await waitFor(() => tokens.issued.length === 1 && sidecar.gateway.readiness().ready, 'first token');
    const first = tokens.issued[0]!;
    const { expiresAt } = tokens.lifetimes.get(first)!;
    tokens.failWith = 503;

    // Until expiry, requests still go out with the first token although refreshes are failing.
    await waitFor(() => tokens.calls.some((c) => c.issued === undefined), 'a failed refresh');
    const during = await sidecar.send('/quotes', { body: quoteBody() });
    expect(Date.now()).toBeLessThan(expiresAt); // the scenario itself: still inside the first token's life
    expect(during.status).toBe(202);
    expect(hub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${first}`);
    expect(sidecar.gateway.readiness()).toEqual({ ready: true });

    // After expiry: no token to send, so no request reaches the hub; the core learns why. The wait
    // is derived from the token server's own expiry, which the sidecar never outlives (it dates the
    // lifetime from when it sent the token request, before the server issued it), so this cannot race.
    await waitFor(() => Date.now() > expiresAt, 'expiry of the first token');
    const hubBefore = hub.requests.length;
    const after = await sidecar.send('/quotes', { body: quoteBody() });
    expect(after.status).toBe(503);
    expect(after.json().errorInformation).toMatchObject({ errorCode: '2003' });
    expect(hub.requests.length).toBe(hubBefore);
    expect(sidecar.gateway.readiness()).toMatchObject({ ready: false });
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_token_refreshes_total'), { outcome: 'http_error' })).toBeGreaterThanOrEqual(1);
    // The expiry gauge still shows the last token's expiry, now in the past: what an alert keys on.
    const expiryGauge = total(await sidecar.samples('dfsp_sidecar_outbound_token_expiry_timestamp_seconds'));
    expect(Math.abs(expiryGauge - expiresAt / 1000)).toBeLessThan(2);
    expect(expiryGauge).toBeLessThan(Date.now() / 1000);

    // Recovery on the next backoff retry (retry ≤ 1 s here), no restart.
    tokens.failWith = undefined;
    await waitFor(() => sidecar.gateway.readiness().ready, 'recovery');
    const recovered = await sidecar.send('/quotes', { body: quoteBody() });
    expect(recovered.status).toBe(202);
    expect(hub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${tokens.issued.at(-1)}`);
    expect(tokens.issued.length).toBe(2);
  });
});
