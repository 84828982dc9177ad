/**
 * A connection that never completes its TLS handshake never reached HTTP: it is counted as a
 * handshake failure by reason, never as an inbound request (https.Server re-emits TLS errors as
 * 'clientError', which would answer and count them as a 400 BODY_MALFORMED). A silent client is
 * cut at the handshake timeout (headersTimeoutMs, a fraction of a second here); a client speaking
 * plain HTTP to the TLS port fails the handshake at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.headersTimeoutMs = 300;
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('TLS handshake failures', () => {
  it('a silent client is cut at the handshake timeout and counted as timeout, not as a request', async () => {
    const r = await rawConnect({ port: h.port, waitMs: 5_000 });
    expect(r.closed).toBe(true);
    expect(r.received.length).toBe(0);
    await expect.poll(() => h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'timeout' })).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total')).toBe(0);
  });

  it('plain HTTP on the TLS port is a protocol failure, not a request', async () => {
    const r = await rawConnect({ port: h.port, afterSecure: 'GET /parties/MSISDN/1 HTTP/1.1\r\nhost: x\r\n\r\n', waitMs: 5_000 });
    expect(r.closed).toBe(true);
    await expect.poll(() => h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'protocol' })).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total')).toBe(0);
    expect(h.core.arrivals).toBe(0);
  });
});
