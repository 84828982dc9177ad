/**
 * Slow clients are cut off: one that does not finish its headers within headersTimeoutMs, and one
 * that does not finish its body within requestTimeoutMs, each get an FSPIOP 408 and the connection
 * is closed. The core receives nothing. (Bounded: the timeouts are a fraction of a second.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.headersTimeoutMs = 400;
      raw.inbound.requestTimeoutMs = 800;
    },
  });
});
afterAll(async () => {
  await h?.close();
});

function parse(received: Buffer): { status: number; headers: string; body: Record<string, any> } {
  const text = received.toString('utf8');
  const [head, body] = text.split('\r\n\r\n') as [string, string];
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe('slow clients', () => {
  it('get 408 when the headers do not arrive in time', async () => {
    const r = await rawConnect({ port: h.port, tls: { ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem } }, afterSecure: 'POST /quotes HTTP/1.1\r\nhost: x\r\n', waitMs: 5_000 });
    expect(r.closed).toBe(true);
    const res = parse(r.received);
    expect(res.status).toBe(408);
    expect(res.headers).toContain('connection: close');
    expect(res.body.errorInformation).toMatchObject({ errorCode: '3000', errorDescription: 'Generic client error' });
  });

  it('get 408 when the body does not arrive in time', async () => {
    const r = await rawConnect({
      port: h.port,
      tls: { ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem } },
      afterSecure: 'PUT /transfers/1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"transferState":',
      waitMs: 5_000,
    });
    expect(r.closed).toBe(true);
    const res = parse(r.received);
    expect(res.status).toBe(408);
    expect(res.headers).toContain('connection: close');
    expect(res.body.errorInformation.extensionList.extension).toEqual([{ key: 'sidecarReason', value: 'body_timeout' }]);
  });

  it('never reach the core, and are counted', async () => {
    expect(h.core.arrivals).toBe(0);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { status: '408', outcome: 'REQUEST_TIMEOUT' })).toBe(2);
  });
});
