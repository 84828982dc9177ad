/**
 * The peer-identity allowlist also matches on a SAN DNS name and on a SHA-256 SPKI pin, and a
 * reload of the rules changes who gets in for new connections.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.tls.peerIdentity = { sanDns: ['HUB.example'] };
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const as = (c: { chainPem: string; keyPem: string }) => send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: c.chainPem, key: c.keyPem }, path: '/parties/MSISDN/1' });

describe('peer identity by SAN DNS and SPKI pin', () => {
  it('admits the certificate with the SAN (case-insensitive) and refuses one without', async () => {
    expect(await as(h.pki.client)).toMatchObject({ ok: true, status: 200 });
    expect((await as(h.pki.outsiderClient)).ok).toBe(false);
  });

  it('admits exactly the pinned key after a reload', async () => {
    const spki = new X509Certificate(h.pki.outsiderClient.certPem).publicKey.export({ type: 'spki', format: 'der' });
    const pin = createHash('sha256').update(spki).digest('base64');
    expect((await h.reload((raw) => void (raw.inbound.tls.peerIdentity = { spkiSha256: [pin] }))).ok).toBe(true);
    expect(await as(h.pki.outsiderClient)).toMatchObject({ ok: true, status: 200 });
    expect((await as(h.pki.client)).ok).toBe(false);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'identity' })).toBe(2);
  });
});
