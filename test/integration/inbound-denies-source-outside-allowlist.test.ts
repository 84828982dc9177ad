/**
 * Source-address allowlist (only 127.0.0.1/32): a client on 127.0.0.1 is served; a client bound
 * to 127.0.0.2 is a second source outside the list and is disconnected before the TLS handshake:
 * it never receives a TLS byte, no handshake is counted, the core sees nothing, and the denial is
 * counted by reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect, send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('source-address allowlist', () => {
  it('serves an allowed source', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/123' });
    expect(r.ok && r.status).toBe(200);
    expect(h.core.hits.at(-1)?.headers['x-forwarded-for']).toBe('127.0.0.1');
    // No x-request-id from the client: the sidecar sets one for the core.
    expect(h.core.hits.at(-1)?.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('drops a denied source before any TLS byte', async () => {
    const hitsBefore = h.core.hits.length;
    // A TCP client that says nothing: the server closes it without writing.
    const silent = await rawConnect({ port: h.port, localAddress: '127.0.0.2', waitMs: 3_000 });
    expect(silent.closed).toBe(true);
    expect(silent.received.length).toBe(0);

    // A real TLS client with a valid certificate: the handshake never completes.
    const tls = await rawConnect({ port: h.port, localAddress: '127.0.0.2', tls: { ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem } }, afterSecure: 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', waitMs: 3_000 });
    expect(tls.secure).toBe(false);
    expect(tls.received.length).toBe(0);
    expect(tls.closed).toBe(true);

    // And through HTTPS.
    const r = await send({ port: h.port, localAddress: '127.0.0.2', ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/123' });
    expect(r.ok).toBe(false);

    expect(h.core.hits.length).toBe(hitsBefore);
    expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'ip_not_allowed' })).toBe(3);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total')).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_connections_accepted_total')).toBe(1);
    const line = h.logs.find((l) => l.msg === 'connection refused before TLS');
    expect(line).toMatchObject({ reason: 'ip_not_allowed', address: '127.0.0.2' });
  });
});
