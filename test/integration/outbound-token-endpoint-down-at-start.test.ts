/**
 * Behaviour: with the token endpoint failing from the start, the sidecar stays up (the SDK exits the
 * process), is not ready, answers the core 503 with FSPIOP 2003 and sends nothing to the hub; once
 * the endpoint answers, service resumes on the next retry without a restart.
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
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url), captureLogs: true, logLevel: 'info' });
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('token endpoint down at start', () => {
  it('answers 503/2003, stays unready and sends nothing to the hub', async () => {
    await waitFor(() => tokens.calls.length >= 1, 'a first token attempt');
    await waitFor(async () => total(await sidecar.samples('dfsp_sidecar_outbound_token_refreshes_total'), { outcome: 'http_error' }) >= 1, 'the failure recorded');
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(503);
    // Refused at once (token_endpoint_failing), or after waiting for a retry that was already in
    // flight when the request came and failed too (token_fetch_failed): which one is timing, not behaviour.
    const { errorInformation } = res.json();
    expect(errorInformation).toMatchObject({ errorCode: '2003', errorDescription: 'Service currently unavailable' });
    expect(['token_endpoint_failing', 'token_fetch_failed']).toContain(errorInformation.extensionList.extension[0].value);
    expect(hub.requests).toHaveLength(0);
    expect(sidecar.gateway.readiness()).toMatchObject({ ready: false });
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'TOKEN_UNAVAILABLE', status: '503' })).toBe(1);
    const warn = sidecar.logs.find((l) => l.msg === 'OAuth token fetch failed and no valid token is held: requests are refused (TOKEN_UNAVAILABLE) until a fetch succeeds');
    expect(warn).toMatchObject({ outcome: 'http_error', validTokenHeld: false });
    expect(String(warn?.detail)).toContain('503');
  });

  it('recovers on its own once the endpoint answers', async () => {
    tokens.failWith = undefined;
    await waitFor(() => sidecar.gateway.readiness().ready, 'a token after recovery');
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(202);
    expect(hub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${tokens.issued[0]}`);
  });
});
