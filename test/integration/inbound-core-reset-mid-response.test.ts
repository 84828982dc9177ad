/**
 * A core that resets its connection after its status line went out: the client has already
 * received that status, so the request is counted by it (status="200"), with the failure as its
 * outcome (CORE_UNREACHABLE), never as a 502 nobody received. The client's connection is cut, the
 * only honest signal left once a response has started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness();
  h.core.setHandler((_hit, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"partial":', () => setImmediate(() => res.socket?.destroy()));
  });
});
afterAll(async () => {
  await h?.close();
});

describe('core reset mid-response', () => {
  it('is counted by the status the client received, with the failure as outcome', async () => {
    const r = await send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/1' });
    // The status line arrived; the body never completed.
    expect(r.ok && r.body.length === 1000).toBe(false);
    await expect.poll(() => h.metric('dfsp_sidecar_inbound_requests_total')).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { status: '200', outcome: 'CORE_UNREACHABLE' })).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { status: '502' })).toBe(0);
  });
});
