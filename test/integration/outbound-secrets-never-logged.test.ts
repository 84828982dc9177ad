/**
 * Behaviour: at the most verbose log level, through token fetches (good and refused), requests that
 * carry the core's own Authorization, hub 401s with a refresh and resend, and hub failures, no log
 * line holds the client secret, the Basic credentials, a bearer token (ours or the core's) or key
 * material. The lines that are written still say what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

const SECRET = 'dfspa-secret-value';
const CORE_TOKEN = 'core-own-bearer-4f1c9a';
let pki: OutboundPki;
let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;
const revoked = new Set<string>();

beforeAll(async () => {
  pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (rec, res) => {
    const t = String(rec.headers.authorization ?? '').slice(7);
    if (revoked.has(t)) return void res.writeHead(401, { 'content-type': 'application/json' }).end(`{"error":"invalid token ${t}"}`);
    res.writeHead(202, { 'content-length': '0' }).end();
  };
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: SECRET, expiresIn: 300 });
  sidecar = await startOutboundSidecar({ pki, hub: { default: hub.url, timeoutMs: 1_000 }, oauth: oauthFor(tokens.url), captureLogs: true, logLevel: 'trace' });
  await waitFor(() => sidecar.gateway.readiness().ready, 'first token');
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('log output', () => {
  it('never contains a secret, a token or key material', async () => {
    // A normal request that arrives with the core's own credentials.
    expect((await sidecar.send('/quotes', { body: quoteBody(), headers: { authorization: `Bearer ${CORE_TOKEN}` } })).status).toBe(202);
    // A refused one, with the same.
    expect((await sidecar.send('/quotes', { body: quoteBody(), headers: { authorization: `Bearer ${CORE_TOKEN}`, 'fspiop-source': 'nobody' } })).status).toBe(400);
    // A hub 401: refresh and resend.
    revoked.add(tokens.issued[0]!);
    expect((await sidecar.send('/transfers', { body: quoteBody() })).status).toBe(202);
    // The token endpoint refusing our credentials (a reload with a wrong secret).
    tokens.setCredentials('dfspa-client', 'rotated-secret-the-sidecar-lacks');
    revoked.add(tokens.issued[1]!);
    const refused = await sidecar.send('/transfers', { body: quoteBody() });
    expect(refused.status).toBe(401);
    // A hub that is gone.
    await hub.close();
    expect((await sidecar.send('/quotes', { body: quoteBody() })).status).toBe(502);

    const text = sidecar.logText.join('\n');
    expect(sidecar.logs.length).toBeGreaterThan(5);
    expect(sidecar.logs.some((l) => l.msg === 'forwarded to hub')).toBe(true);
    expect(sidecar.logs.some((l) => l.msg === 'request rejected' && l.code === 'UNKNOWN_IDENTITY')).toBe(true);
    expect(sidecar.logs.some((l) => l.msg === 'request rejected' && l.code === 'HUB_UNREACHABLE')).toBe(true);
    expect(sidecar.logs.some((l) => String(l.detail ?? '').includes('HTTP 401 (invalid_client)'))).toBe(true);

    const forbidden = [
      SECRET,
      'rotated-secret-the-sidecar-lacks',
      Buffer.from(`dfspa-client:${SECRET}`).toString('base64'),
      CORE_TOKEN,
      ...tokens.issued,
      pki.jwsRsa.privatePem.split('\n')[1]!,
      pki.jwsEc.privatePem.split('\n')[1]!,
      pki.client.keyPem.split('\n')[1]!,
    ];
    for (const f of forbidden) expect(text, `log leaks ${f.slice(0, 12)}…`).not.toContain(f);
  });
});
