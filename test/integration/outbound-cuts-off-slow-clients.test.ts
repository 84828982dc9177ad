/**
 * Behaviour: a core connection that does not send its whole request within outbound.requestTimeoutMs
 * is cut on time (within a check interval, not Node's default 30 s one) with the catalogue's FSPIOP
 * 408, `connection: close`, and is counted as REQUEST_TIMEOUT: a silent connection, one whose headers
 * stall, and one whose body stalls (formerly counted BODY_MALFORMED/400, or not at all). Nothing
 * reaches the hub. The waits below are bounds (5 s against a 600 ms deadline), not timing assertions.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { startOutboundSidecar, total, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url, tweak: (raw) => void (raw.outbound.requestTimeoutMs = 600) });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

/** Send `text` and keep the connection open without sending more; resolve with what came back when the server closes (or the bound passes). */
function stall(text: string, boundMs = 5_000): Promise<{ closed: boolean; received: string }> {
  return new Promise((resolve) => {
    const { port } = new URL(sidecar.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, received });
    }, boundMs);
    socket.on('data', (c: Buffer) => (received += c.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received });
    });
    if (text) socket.write(text);
  });
}

function parse(received: string): { status: number; head: string; body: any } {
  const [head, body] = received.split('\r\n\r\n') as [string, string];
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), head: head.toLowerCase(), body: JSON.parse(body) };
}

const CT = 'content-type: application/vnd.interoperability.quotes+json;version=1.1\r\n';

describe('slow core connections', () => {
  for (const [name, text, reason] of [
    ['a silent connection', '', 'request_timeout'],
    ['headers that stall', `POST /quotes HTTP/1.1\r\nhost: x\r\n${CT}`, 'request_timeout'],
    ['a body that stalls', `POST /quotes HTTP/1.1\r\nhost: x\r\n${CT}content-length: 100\r\n\r\n{"quoteId":`, 'body_timeout'],
  ] as const) {
    it(`cuts ${name} on time with an FSPIOP 408`, async () => {
      const r = await stall(text);
      expect(r.closed).toBe(true);
      const res = parse(r.received);
      expect(res.status).toBe(408);
      expect(res.head).toContain('connection: close');
      expect(res.body).toEqual({ errorInformation: { errorCode: '3000', errorDescription: 'Generic client error', extensionList: { extension: [{ key: 'sidecarReason', value: reason }] } } });
    });
  }

  it('counts every one as REQUEST_TIMEOUT and sends nothing to the hub', async () => {
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { status: '408', outcome: 'REQUEST_TIMEOUT' })).toBe(3);
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'BODY_MALFORMED' })).toBe(0);
    expect(hub.requests).toHaveLength(0);
  });
});
