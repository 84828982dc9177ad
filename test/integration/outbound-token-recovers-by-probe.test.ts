/**
 * Behaviour: after the token endpoint failed, service comes back within seconds of the endpoint
 * recovering, not when the backoff timer next fires (here 60 s away): a request starts one probe
 * fetch once the last attempt is older than outbound.oauth.probeAfterSeconds. The log says what is
 * true: with no token held it does not claim to be "keeping the current token".
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
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value' });
  tokens.failWith = 503;
  sidecar = await startOutboundSidecar({
    pki,
    hub: hub.url,
    oauth: oauthFor(tokens.url, { refreshRetrySeconds: 60, maxRetrySeconds: 300, probeAfterSeconds: 1 }),
    captureLogs: true,
    logLevel: 'info',
  });
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('recovery after a token endpoint outage', () => {
  it('logs the failure as it is: no token held, requests refused', async () => {
    await waitFor(async () => total(await sidecar.samples('dfsp_sidecar_outbound_token_refreshes_total'), { outcome: 'http_error' }) >= 1, 'the first failure');
    const failure = sidecar.logs.find((l) => l.outcome === 'http_error');
    expect(failure).toMatchObject({ validTokenHeld: false, msg: 'OAuth token fetch failed and no valid token is held: requests are refused (TOKEN_UNAVAILABLE) until a fetch succeeds' });
    expect(sidecar.logs.some((l) => String(l.msg).includes('keeping the current token'))).toBe(false);
    expect((await sidecar.send('/quotes', { body: quoteBody() })).status).toBe(503);
  });

  it('serves again within seconds of the endpoint recovering, without waiting for the backoff', async () => {
    tokens.failWith = undefined;
    // Bound: 10 s against a 60 s backoff. Requests meanwhile are refused at once, and at most one
    // probe per second reaches the endpoint.
    let status = 0;
    await waitFor(async () => (status = (await sidecar.send('/quotes', { body: quoteBody() })).status) === 202, 'a request served after recovery');
    expect(status).toBe(202);
    expect(tokens.issued).toHaveLength(1);
    expect(hub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${tokens.issued[0]}`);
  });
});
