/**
 * When the core cannot be reached the hub gets 502/1001; when the core does not answer within
 * inbound.core.timeoutMs it gets 504/2004. Both are logged and counted by outcome, and the
 * sidecar keeps serving.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { startCore, type CoreStandIn } from '../helpers/inbound-core.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

const harnesses: InboundHarness[] = [];
const cores: CoreStandIn[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await Promise.all(cores.map((c) => c.close()));
});

/** A port nothing listens on: bind, note, release. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const get = (h: InboundHarness, path: string) => send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path });

describe('core failures', () => {
  it('core down: 502/1001', async () => {
    const port = await closedPort();
    const h = await startInboundHarness({ configure: (raw) => void (raw.inbound.core.url = `http://127.0.0.1:${port}`) });
    harnesses.push(h);
    const r = await get(h, '/parties/MSISDN/1');
    expect(r.ok && r.status).toBe(502);
    if (r.ok) expect(JSON.parse(r.body).errorInformation).toMatchObject({ errorCode: '1001', errorDescription: 'Destination communication error', extensionList: { extension: [{ key: 'sidecarReason', value: 'connection_refused' }] } });
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { outcome: 'CORE_UNREACHABLE', status: '502' })).toBe(1);
    expect(h.logs.find((l) => l.msg === 'request rejected')).toMatchObject({ level: 'error', stage: 'forward-to-core', code: 'CORE_UNREACHABLE' });
  });

  it('core slow: 504/2004, and the next request is served', async () => {
    const core = await startCore((hit, res) => {
      const delay = hit.url.includes('slow') ? 1_500 : 0;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }, delay);
    });
    cores.push(core);
    const h = await startInboundHarness({ core, configure: (raw) => void (raw.inbound.core.timeoutMs = 300) });
    harnesses.push(h);
    const slow = await get(h, '/parties/MSISDN/slow');
    expect(slow.ok && slow.status).toBe(504);
    if (slow.ok) expect(JSON.parse(slow.body).errorInformation).toMatchObject({ errorCode: '2004', errorDescription: 'Server timed out' });
    const fast = await get(h, '/parties/MSISDN/fast');
    expect(fast.ok && fast.status).toBe(200);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { outcome: 'CORE_TIMEOUT', status: '504' })).toBe(1);
    expect(await h.metric('dfsp_sidecar_inbound_requests_total', { outcome: 'ok', status: '200' })).toBe(1);
  });
});
