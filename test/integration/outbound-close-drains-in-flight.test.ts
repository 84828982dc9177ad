/**
 * Behaviour: close(deadline) stops accepting at once, turns readiness false and closes idle
 * keep-alive connections; in-flight requests finish normally (answered with `connection: close`);
 * at the deadline whatever is still running is cut.
 */
import type { ServerResponse } from 'node:http';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accept, startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody, startOutboundSidecar, waitFor } from '../helpers/outbound-sidecar.js';

let pki: OutboundPki;
let hub: OutboundHub;
const held: ServerResponse[] = [];

beforeAll(async () => {
  pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
});
afterAll(async () => {
  for (const r of held) r.destroy();
  await hub?.close();
});

const hold = () => {
  hub.handler = (_rec, res) => void held.push(res);
};

describe('close(deadline)', () => {
  it('lets an in-flight request finish, closes idle connections, accepts nothing new', async () => {
    const sidecar = await startOutboundSidecar({ pki, hub: hub.url });
    const busy = new Client(sidecar.url);
    const idle = new Client(sidecar.url);
    try {
      // A kept-alive connection that is idle when the drain starts.
      const warm = await idle.request({ path: '/quotes', method: 'POST', body: quoteBody(), headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' } });
      await warm.body.dump();
      let idleDisconnected = false;
      idle.on('disconnect', () => (idleDisconnected = true));

      hold();
      const before = held.length;
      const first = busy.request({ path: '/quotes', method: 'POST', body: quoteBody(), headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' } });
      await waitFor(() => held.length === before + 1, 'the hub holding the in-flight request');

      const closing = sidecar.gateway.close(Date.now() + 10_000);
      expect(sidecar.gateway.readiness()).toEqual({ ready: false, reason: 'outbound listener draining' });
      await waitFor(() => idleDisconnected, 'the idle keep-alive connection closed');
      // Nothing new is accepted.
      const fresh = new Client(sidecar.url);
      await expect(fresh.request({ path: '/quotes', method: 'POST', body: quoteBody() })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await fresh.close();

      // The in-flight request completes normally, told not to reuse the connection.
      held.at(-1)!.writeHead(202, { 'content-length': '0' }).end();
      const r = await first;
      await r.body.dump();
      expect(r.statusCode).toBe(202);
      expect(r.headers.connection).toBe('close');
      await closing;
    } finally {
      hub.handler = accept;
      await busy.destroy();
      await idle.destroy();
      await sidecar.close();
    }
  });

  it('cuts a request still running at the deadline', async () => {
    const sidecar = await startOutboundSidecar({ pki, hub: { default: hub.url, timeoutMs: 30_000 } });
    const client = new Client(sidecar.url);
    try {
      hold();
      const before = held.length;
      const stuck = client.request({ path: '/quotes', method: 'POST', body: quoteBody(), headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' } });
      const outcome = stuck.then(
        () => 'answered',
        (err: { code?: string }) => err.code ?? 'error',
      );
      await waitFor(() => held.length === before + 1, 'the hub holding the request');
      const t0 = Date.now();
      await sidecar.gateway.close(Date.now() + 300);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(await outcome).toBe('UND_ERR_SOCKET');
    } finally {
      hub.handler = accept;
      await client.destroy();
      await sidecar.close();
    }
  });
});
