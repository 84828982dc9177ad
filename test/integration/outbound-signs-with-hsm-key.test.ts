/**
 * Behaviour: with the JWS keys inside a PKCS#11 token (a real SoftHSM2 token) instead of files, the
 * outbound round trip is the same: the hub receives requests that both SDK validators accept, for
 * the own identity (RS256) and a further identity (ES256), signed on the event loop and on the
 * signing workers (each worker opens its own session).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllTokens } from '../../src/crypto/pkcs11/token.js';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';
import { createSoftToken, type SoftToken } from '../helpers/softhsm.js';

let pki: OutboundPki;
let token: SoftToken;
let hub: OutboundHub;
const publicPems: Record<string, string> = {};

beforeAll(async () => {
  pki = await outboundPki();
  token = createSoftToken();
  for (const [fspId, alg] of [['dfspa', 'RS256'], ['dfspb', 'ES256']] as const) {
    publicPems[fspId] = token.generate(alg, `${fspId}-jws`).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: publicPems });
});
afterAll(async () => {
  await hub?.close();
  closeAllTokens();
});

describe.each([
  { mode: 'event loop', workers: 0 },
  { mode: 'signing workers', workers: 2 },
])('keys in the token, signing on the $mode', ({ workers }) => {
  let sidecar: OutboundSidecar;
  beforeAll(async () => {
    sidecar = await startOutboundSidecar({
      pki,
      hub: hub.url,
      workers,
      tweak: (raw) => {
        raw.jws = { signingKeyPkcs11: token.uri('dfspa-jws'), identities: [{ fspId: 'dfspb', signingKeyPkcs11: token.uri('dfspb-jws') }] };
      },
    });
  });
  afterAll(async () => {
    await sidecar?.close();
  });

  it('both identities sign in the token; the hub\'s SDK validators accept every request', async () => {
    await waitFor(() => sidecar.gateway.readiness().ready, 'the gateway (and its workers) to be ready');
    const before = hub.requests.length;
    for (let i = 0; i < 6; i++) {
      const source = i % 2 === 0 ? 'dfspa' : 'dfspb';
      const res = await sidecar.send('/quotes', { headers: { 'fspiop-source': source, 'fspiop-destination': 'dfspz', date: new Date().toUTCString() }, body: quoteBody() });
      expect(res.status).toBe(202);
    }
    const got = hub.requests.slice(before);
    expect(got).toHaveLength(6);
    for (const r of got) {
      const alg = JSON.parse(Buffer.from(JSON.parse(r.headers['fspiop-signature'] as string).protectedHeader, 'base64url').toString()).alg;
      expect({ source: r.headers['fspiop-source'], alg, latest: r.sdkLatest, legacy: r.sdkLegacy }).toEqual({
        source: r.headers['fspiop-source'],
        alg: r.headers['fspiop-source'] === 'dfspa' ? 'RS256' : 'ES256',
        latest: 'valid',
        legacy: 'valid',
      });
    }
    const signed = await sidecar.samples('dfsp_sidecar_outbound_sign_duration_seconds_count');
    expect(total(signed, { mode: workers > 0 ? 'worker' : 'event_loop' })).toBe(6);
  });
});
