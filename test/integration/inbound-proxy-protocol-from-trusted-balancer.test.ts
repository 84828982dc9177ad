/**
 * PROXY protocol from a configured load balancer (127.0.0.2): the allowlist applies to the client
 * address in the header, which is what the core is told in x-forwarded-for; v1 and v2 both work,
 * also when the header and the TLS ClientHello share one TCP segment. A balancer connection with
 * no header, a bad one, one that stalls, or one naming a client outside the allowlist is dropped
 * before TLS and counted by reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_V2_SIGNATURE } from '../../src/inbound/proxy-protocol.js';
import { rawConnect, type ClientCreds } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
let creds: ClientCreds;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.allowlist = ['127.0.0.1/32', '10.0.0.0/8'];
      raw.inbound.proxyProtocol = { enabled: true, trustedProxies: ['127.0.0.2/32'] };
      raw.inbound.headersTimeoutMs = 400;
    },
  });
  creds = { cert: h.pki.client.chainPem, key: h.pki.client.keyPem };
});
afterAll(async () => {
  await h?.close();
});

const REQUEST = 'GET /parties/MSISDN/27713803912 HTTP/1.1\r\nhost: dfsp\r\nconnection: close\r\n\r\n';

function v2Inet(src: [number, number, number, number], sport: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(src).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(sport, 8);
  body.writeUInt16BE(443, 10);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

async function viaBalancer(prelude: Buffer | undefined, coalesce = false) {
  return rawConnect({ port: h.port, localAddress: '127.0.0.2', ...(prelude ? { prelude } : {}), coalesce, tls: { ca: h.pki.dfspCa.certPem, creds }, afterSecure: REQUEST, waitMs: 3_000 });
}

describe('PROXY protocol from a trusted load balancer', () => {
  it('applies the allowlist to the client in a v1 header and tells the core', async () => {
    const r = await viaBalancer(Buffer.from('PROXY TCP4 10.9.8.7 127.0.0.1 40001 443\r\n'));
    expect(r.secure).toBe(true);
    expect(r.received.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(h.core.hits.at(-1)?.headers['x-forwarded-for']).toBe('10.9.8.7');
  });

  it('does the same with a v2 header sent in the same segment as the ClientHello', async () => {
    const r = await viaBalancer(v2Inet([10, 1, 2, 3], 40002), true);
    expect(r.received.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(h.core.hits.at(-1)?.headers['x-forwarded-for']).toBe('10.1.2.3');
  });

  it('refuses a client outside the allowlist, before TLS', async () => {
    const hits = h.core.hits.length;
    const r = await viaBalancer(Buffer.from('PROXY TCP4 192.0.2.1 127.0.0.1 40003 443\r\n'));
    expect(r.secure).toBe(false);
    expect(r.received.length).toBe(0);
    expect(h.core.hits.length).toBe(hits);
    expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'ip_not_allowed' })).toBe(1);
  });

  it('uses the balancer address for UNKNOWN/LOCAL (health checks), which is not allowed here', async () => {
    const r = await viaBalancer(Buffer.from('PROXY UNKNOWN\r\n'));
    expect(r.secure).toBe(false);
    expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'ip_not_allowed' })).toBe(2);
  });

  it('refuses a balancer connection without a header, with a bad one, or one that stalls', async () => {
    const none = await viaBalancer(undefined);
    expect(none.secure).toBe(false);
    const bad = await viaBalancer(Buffer.from('PROXY TCP4 10.9.8.7 nonsense 1 2\r\n'));
    expect(bad.secure).toBe(false);
    expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'proxy_header_invalid' })).toBe(2);

    const stalled = await rawConnect({ port: h.port, localAddress: '127.0.0.2', prelude: Buffer.from('PROXY TCP4 10.9'), waitMs: 3_000 });
    expect(stalled.closed).toBe(true);
    expect(stalled.received.length).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'proxy_header_timeout' })).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total')).toBe(0);
  });
});
