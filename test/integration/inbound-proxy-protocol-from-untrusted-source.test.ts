/**
 * PROXY protocol is honoured only from configured load balancers. A client elsewhere (here
 * 127.0.0.1, allowed to connect directly) that sends a PROXY header claiming to be someone else
 * gets nowhere: its header is not parsed, the TLS layer sees garbage and fails, nothing reaches
 * the core. Its normal TLS connections keep working, under its own address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect, send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.allowlist = ['127.0.0.1/32', '10.0.0.0/8'];
      raw.inbound.proxyProtocol = { enabled: true, trustedProxies: ['127.0.0.2/32'] };
    },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('PROXY header from a source that is not a trusted balancer', () => {
  it('is not honoured: the connection fails and the core sees nothing', async () => {
    const r = await rawConnect({
      port: h.port,
      prelude: Buffer.from('PROXY TCP4 10.9.8.7 127.0.0.1 40001 443\r\n'),
      tls: { ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem } },
      afterSecure: 'GET /parties/MSISDN/1 HTTP/1.1\r\nhost: x\r\n\r\n',
      waitMs: 3_000,
    });
    expect(r.secure).toBe(false);
    expect(h.core.hits.length).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'protocol' })).toBe(1);
  });

  it('leaves its ordinary connections working, under its own address', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/1' });
    expect(r.ok && r.status).toBe(200);
    expect(h.core.hits.at(-1)?.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});
