/**
 * With a CRL configured, a client certificate the hub CA has revoked is refused (reason
 * `revoked`) while the hub's current certificate is still served. The CRL is made by the openssl
 * CLI, an implementation independent of ours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw, files) => {
      raw.inbound.tls.crlFiles = [files.crl];
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('certificate revocation list', () => {
  it('refuses the revoked certificate and serves the valid one', async () => {
    const revoked = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.revokedClient.chainPem, key: h.pki.revokedClient.keyPem }, path: '/parties/MSISDN/1' });
    expect(revoked.ok).toBe(false);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'revoked' })).toBe(1);
    const good = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/1' });
    expect(good.ok && good.status).toBe(200);
    expect(h.core.hits.length).toBe(1);
  });
});
