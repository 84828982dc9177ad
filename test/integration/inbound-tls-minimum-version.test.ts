/**
 * inbound.tls.minVersion is enforced: with TLSv1.3 required, a client that only speaks TLS 1.2
 * fails the handshake (counted as `protocol`), while a TLS 1.3 client is served.
 */
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({ configure: (raw) => void (raw.inbound.tls.minVersion = 'TLSv1.3') });
});
afterAll(async () => {
  await h?.close();
});

describe('minimum TLS version', () => {
  it('refuses TLS 1.2 and serves TLS 1.3', async () => {
    const old = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: h.port, ca: h.pki.dfspCa.certPem, cert: h.pki.client.chainPem, key: h.pki.client.keyPem, maxVersion: 'TLSv1.2' });
      s.on('secureConnect', () => resolve('connected'));
      s.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
    });
    expect(old).not.toBe('connected');
    await expect.poll(() => h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'protocol' })).toBe(1);
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/1' });
    expect(r).toMatchObject({ ok: true, status: 200 });
  });
});
