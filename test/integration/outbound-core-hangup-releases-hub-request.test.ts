/**
 * Behaviour: a core that asks for a large hub answer, stops reading and hangs up does not leave a
 * request behind: the hub request is aborted (the hub sees its connection close), the in-flight
 * gauge and the hub connection count return to where they were, the request is counted as
 * CLIENT_CLOSED with the status the core had received, and the next request works.
 */
import { connect } from 'node:net';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, total, waitFor, type OutboundSidecar } from '../helpers/outbound-sidecar.js';

let hub: OutboundHub;
let sidecar: OutboundSidecar;
/** Bytes the hub wrote for the streamed answer, and whether its response ended or its socket closed. */
const stream = { written: 0, closed: false, finished: false, started: false };
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
/** Far more than socket buffers on both hops hold, so the relay must stall on the core's backpressure. */
const TOTAL = 256 * 1024 * 1024;

function streamLarge(res: ServerResponse): void {
  stream.started = true;
  res.on('close', () => (stream.closed = true));
  res.on('finish', () => (stream.finished = true));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) });
  const pump = () => {
    while (stream.written < TOTAL && !res.destroyed) {
      stream.written += CHUNK.length;
      if (!res.write(CHUNK)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

beforeAll(async () => {
  const pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  sidecar = await startOutboundSidecar({ pki, hub: hub.url });
});
afterAll(async () => {
  await sidecar?.close();
  await hub?.close();
});

const gauge = async (name: string) => total(await sidecar.samples(name));

describe('a core that hangs up mid-answer', () => {
  it('aborts the hub request and gives back the in-flight slot and the hub connection', async () => {
    // Baseline: one request through, so the pool holds a warm connection.
    expect((await sidecar.send('/quotes', { body: quoteBody() })).status).toBe(202);
    const inFlightBefore = await gauge('dfsp_sidecar_outbound_requests_in_flight');
    const connectionsBefore = await gauge('dfsp_sidecar_outbound_upstream_connections');
    expect(inFlightBefore).toBe(0);

    hub.handler = (_rec, res) => streamLarge(res);
    const { port } = new URL(sidecar.url);
    const core = connect(Number(port), '127.0.0.1');
    let received = 0;
    core.on('data', (c: Buffer) => {
      received += c.length;
      // Stop reading after the first bytes: the relay fills the buffers and waits for 'drain'.
      core.pause();
    });
    core.on('error', () => {});
    core.write(
      'GET /parties/MSISDN/123 HTTP/1.1\r\nhost: localhost\r\n' +
        'accept: application/vnd.interoperability.parties+json;version=1.1\r\ncontent-type: application/vnd.interoperability.parties+json;version=1.1\r\n\r\n',
    );
    // Wait until the hub is blocked on backpressure (it has written more than the core took, and stopped).
    await waitFor(() => received > 0 && stream.written > 4 * 1024 * 1024, 'the answer to back up');
    let last = -1;
    let still = 0;
    await waitFor(() => {
      still = stream.written === last ? still + 1 : 0;
      last = stream.written;
      return still >= 5; // no progress across five polls: held by backpressure, not between writes
    }, 'the hub to stall on backpressure');
    expect(stream.finished).toBe(false);
    expect(await gauge('dfsp_sidecar_outbound_requests_in_flight')).toBe(1);

    core.destroy(); // the core hangs up without reading the rest

    await waitFor(async () => (await gauge('dfsp_sidecar_outbound_requests_in_flight')) === inFlightBefore, 'the in-flight gauge back to its baseline');
    await waitFor(() => stream.closed, 'the hub request to be aborted');
    expect(stream.finished).toBe(false);
    await waitFor(async () => (await gauge('dfsp_sidecar_outbound_upstream_connections')) <= connectionsBefore, 'the hub connection count back to its baseline');
    expect(total(await sidecar.samples('dfsp_sidecar_outbound_requests_total'), { outcome: 'CLIENT_CLOSED', status: '200' })).toBe(1);

    // Nothing is stuck: the next request goes through.
    hub.handler = (_rec, res) => void res.writeHead(202, { 'content-length': '0' }).end();
    expect((await sidecar.send('/quotes', { body: quoteBody() })).status).toBe(202);
  });
});
