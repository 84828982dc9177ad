/**
 * Behaviour: when the hub refuses connections, the core gets 502 with FSPIOP 1001 (destination
 * communication error) from the catalogue, the failure is counted by outcome and logged with a
 * reason, and service resumes by itself once the hub is back.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let pki: OutboundPki;
let port: number;
let sidecar: OutboundSidecar;
let hub: OutboundHub | undefined;

beforeAll(async () => {
  pki = await outboundPki();
  // A port nobody listens on (yet).
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  sidecar = await startOutboundSidecar({ pki, hub: `https://127.0.0.1:${port}`, captureLogs: true, logLevel: 'info' });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

describe('hub down', () => {
  it('answers 502 / 1001 and counts and logs the failure', async () => {
    const res = await sidecar.send('/transfers', { body: quoteBody() });
    expect(res.status).toBe(502);
    expect(res.json().errorInformation).toEqual({ errorCode: '1001', errorDescription: 'Destination communication error', extensionList: { extension: [{ key: 'sidecarReason', value: 'connection_refused' }] } });
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'HUB_UNREACHABLE', status: '502', resource: 'transfers' })).toBe(1);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_upstream_connects_total'), { result: 'failed' })).toBeGreaterThanOrEqual(1);
    const line = sidecar.logs.find((l) => l.msg === 'request rejected');
    expect(line).toMatchObject({ level: 'error', code: 'HUB_UNREACHABLE', reason: 'connection_refused', stage: 'forward' });
    expect(line?.requestId).toBe(res.headers['x-request-id']);
  });

  it('recovers without a restart once the hub listens', async () => {
    hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem }, port });
    const res = await sidecar.send('/transfers', { body: quoteBody() });
    expect(res.status).toBe(202);
    expect(hub.requests[0]?.sdkLatest).toBe('valid');
  });
});
