/**
 * Behaviour: a hub 401 that the sidecar relays to the core (not fixed by a resend) is logged at warn
 * with the reason: the result, and the hub's own challenge and FSPIOP error (never the token, even
 * when the hub echoes it), as docs/outbound.md promises. Here the hub refuses every token, so the
 * one resend with a fresh token gets 401 too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (rec, res) => {
    const token = String(rec.headers.authorization ?? '').replace(/^Bearer /, '');
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="insufficient_scope"' });
    res.end(JSON.stringify({ errorInformation: { errorCode: '3000', errorDescription: `Token ${token} lacks the fspiop scope` } }));
  };
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 300 });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url), captureLogs: true, logLevel: 'info' });
  await waitFor(() => sidecar.gateway.readiness().ready, 'first token');
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('a relayed hub 401', () => {
  it('is relayed as received and logged at warn with the hub\'s reason, the token masked', async () => {
    const res = await sidecar.send('/quotes', { body: quoteBody() });
    expect(res.status).toBe(401);
    expect(res.json().errorInformation.errorCode).toBe('3000');
    expect(hub.requests).toHaveLength(2); // the request and its one resend with a fresh token

    const warning = sidecar.logs.find((l) => l.level === 'warn' && String(l.msg).includes('401'));
    expect(warning).toMatchObject({ result: 'resent_rejected', hubChallenge: 'Bearer error="insufficient_scope"', hubError: '3000 Token [token] lacks the fspiop scope' });
    for (const token of tokens.issued) expect(sidecar.logText.join('\n')).not.toContain(token);
  });
});
