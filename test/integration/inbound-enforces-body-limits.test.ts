/**
 * Bodies are bounded on both framings and must match their framing. A declared Content-Length
 * over the limit and a chunked body that runs over it both get 413/3104; a body that stops short
 * of its Content-Length is never forwarded; with a Content-Length shorter than what follows, only
 * the declared bytes are the body and the rest is parsed as a next request, which here is garbage:
 * the connection is cut. The core receives none of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect, send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.bodyLimitBytes = 2048;
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const creds = () => ({ cert: h.pki.client.chainPem, key: h.pki.client.keyPem });
const big = () => JSON.stringify({ note: 'x'.repeat(4000) });

describe('body limits', () => {
  it('refuses a declared Content-Length over the limit with 413/3104', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: creds(), method: 'POST', path: '/quotes', headers: { 'content-type': 'application/json', 'fspiop-source': 'payerfsp' }, body: big() });
    expect(r.ok && r.status).toBe(413);
    if (r.ok) expect(JSON.parse(r.body).errorInformation).toMatchObject({ errorCode: '3104', extensionList: { extension: [{ key: 'sidecarReason', value: 'declared_too_large' }] } });
    expect(h.core.hits.length).toBe(0);
  });

  it('refuses a chunked body that runs over the limit with 413/3104', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: creds(), method: 'POST', path: '/quotes', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: big() });
    expect(r.ok && r.status).toBe(413);
    if (r.ok) expect(JSON.parse(r.body).errorInformation.extensionList.extension[0].value).toBe('streamed_too_large');
    expect(h.core.hits.length).toBe(0);
  });

  it('answers Expect: 100-continue with 413 (not 100) when the declared body is over the limit', async () => {
    const r = await rawConnect({
      port: h.port,
      tls: { ca: h.pki.dfspCa.certPem, creds: creds() },
      afterSecure: 'POST /quotes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: 5000\r\n\r\n',
      waitMs: 3_000,
    });
    const text = r.received.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).not.toContain('100 Continue');
    expect(text.toLowerCase()).toContain('connection: close');
    expect(r.closed).toBe(true);
    expect(h.core.arrivals).toBe(0);
  });

  it('never forwards a body that ends before its Content-Length', async () => {
    const r = await rawConnect({
      port: h.port,
      tls: { ca: h.pki.dfspCa.certPem, creds: creds() },
      afterSecure: 'PUT /transfers/1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"transferState":',
      end: true,
      waitMs: 3_000,
    });
    expect(r.received.toString('latin1')).not.toMatch(/^HTTP\/1\.1 2/);
    expect(h.core.hits.length).toBe(0);
    await expect.poll(() => h.metric('dfsp_sidecar_inbound_requests_total', { outcome: 'BODY_MALFORMED' })).toBe(1);
  });

  it('reads exactly Content-Length bytes; garbage after them cuts the connection', async () => {
    const r = await rawConnect({
      port: h.port,
      tls: { ca: h.pki.dfspCa.certPem, creds: creds() },
      afterSecure: 'POST /quotes HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{"a":1,"smuggled":"GET /x HTTP/1.1"}',
      waitMs: 3_000,
    });
    expect(r.closed).toBe(true);
    expect(r.received.toString('latin1')).not.toMatch(/HTTP\/1\.1 2/);
    expect(h.core.arrivals).toBe(0);
  });
});
