/**
 * Behaviour: the token is replaced before it expires (at expires_in minus the margin, never exactly
 * at expiry as the SDK does), and requests keep flowing across the swap: every request carries a
 * token that was valid when it was sent, never none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { oauthFor, quoteBody, startOutboundSidecar, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { startTokenServer, type TokenServer } from '../helpers/outbound-token-server.js';

let hub: OutboundHub;
let tokens: TokenServer;
let sidecar: OutboundSidecar;
const seen: Array<{ at: number; authorization: string | undefined }> = [];

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  hub.handler = (rec, res) => {
    seen.push({ at: Date.now(), authorization: rec.headers.authorization });
    res.writeHead(202, { 'content-length': '0' }).end();
  };
  // 5 s tokens, 4 s margin (capped at half the lifetime): each is replaced after about 2.5 s, leaving
  // 1.5 s of slack under load before the "at least a second before expiry" bound below.
  tokens = await startTokenServer({ cert: pki.hubServer, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', expiresIn: 5 });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, oauth: oauthFor(tokens.url, { marginSeconds: 4 }) });
});
afterAll(async () => {
  await sidecar?.close();
  await tokens?.close();
  await hub?.close();
});

describe('token refresh', () => {
  it('fetches the next token ahead of expiry while requests keep using the current one', async () => {
    await waitFor(() => tokens.issued.length >= 1, 'first token');
    // Keep a trickle of requests going until two refreshes have happened.
    let failures = 0;
    while (tokens.issued.length < 3) {
      const r = await sidecar.send('/quotes', { body: quoteBody() });
      if (r.status !== 202) failures++;
      await new Promise((res) => setTimeout(res, 25));
      if (seen.length > 1000) throw new Error('no refresh after 1000 requests');
    }
    expect(failures).toBe(0);
    // Each refresh came while the previous token still had (about) the margin left.
    for (let i = 1; i < tokens.issued.length; i++) {
      const prev = tokens.lifetimes.get(tokens.issued[i - 1]!)!;
      const next = tokens.lifetimes.get(tokens.issued[i]!)!;
      expect(next.issuedAt).toBeLessThan(prev.expiresAt - 1_000);
    }
    // Every request carried a token, and one that had not expired when the hub got it.
    for (const s of seen) {
      expect(s.authorization).toMatch(/^Bearer tok-\d+-/);
      const life = tokens.lifetimes.get(s.authorization!.slice(7))!;
      expect(s.at).toBeLessThan(life.expiresAt);
    }
    // The requests after a refresh use the new token.
    expect(new Set(seen.map((s) => s.authorization)).size).toBeGreaterThanOrEqual(2);
  });
});
