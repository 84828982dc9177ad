/**
 * Attack: hold the listener's connections. Clients that complete the mTLS handshake and then send
 * nothing and never read used to get a 408 and a half-close, then sit in FIN-WAIT-2 indefinitely.
 * Now such a connection is destroyed `inbound.closeGraceMs` after the sidecar ended it; the number
 * of open connections is capped in total and per source address, refusals are counted by reason;
 * and TLS renegotiation is refused.
 */
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, rawExchange } from '../helpers/attack.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';

const HEADERS_TIMEOUT_MS = 1_000;
const CLOSE_GRACE_MS = 300;

let h: InboundHarness;
beforeAll(async () => {
  h = await startInboundHarness({
    configure: (raw) => {
      raw.inbound.headersTimeoutMs = HEADERS_TIMEOUT_MS;
      raw.inbound.requestTimeoutMs = 2_000;
      raw.inbound.closeGraceMs = CLOSE_GRACE_MS;
      raw.inbound.allowlist = ['127.0.0.0/8'];
    },
  });
});
afterAll(async () => {
  await h?.close();
});

/** A client that completes the handshake and then neither sends nor reads. */
function silentClient(localAddress = '127.0.0.1'): Promise<{ socket: TLSSocket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    // localAddress reaches net.connect; the tls typings do not list it.
    const socket = tlsConnect({ host: '127.0.0.1', port: h.port, localAddress, ca: h.pki.dfspCa.certPem, cert: h.pki.client.chainPem, key: h.pki.client.keyPem, servername: 'localhost' } as ConnectionOptions);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('secureConnect', () => {
      socket.pause();
      resolve({ socket, closed });
    });
    socket.once('close', () => reject(new Error('closed before the handshake completed')));
  });
}

/** Poll until `condition` holds; the cap is a multiple of the deadline the product promises. */
async function eventually(condition: () => Promise<boolean> | boolean, promisedMs: number): Promise<void> {
  const cap = Date.now() + promisedMs * 5 + 5_000;
  while (!(await condition())) {
    if (Date.now() > cap) throw new Error(`condition not met within 5x the promised ${promisedMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('silent clients that never read', () => {
  it('are answered 408 and then released, every one of them', async () => {
    const acceptedBefore = await h.metric('dfsp_sidecar_inbound_connections_accepted_total');
    const clients = await Promise.all(Array.from({ length: 100 }, () => silentClient()));
    expect(await h.metric('dfsp_sidecar_inbound_connections_accepted_total')).toBe(acceptedBefore + 100);
    // The promise: headers timeout (checked every quarter of it), then the linger grace.
    const promised = HEADERS_TIMEOUT_MS + HEADERS_TIMEOUT_MS / 4 + CLOSE_GRACE_MS;
    await eventually(async () => (await h.metric('dfsp_sidecar_inbound_connections_open')) === 0, promised);
    for (const c of clients) c.socket.destroy();
    // They never read or closed: the sidecar had to destroy them itself.
    expect(await h.metric('dfsp_sidecar_inbound_connections_linger_destroyed_total')).toBeGreaterThan(0);
  });
});

describe('connection caps', () => {
  it('refuses connections over inbound.maxConnections at accept, counted', async () => {
    await eventually(async () => (await h.metric('dfsp_sidecar_inbound_connections_open')) === 0, CLOSE_GRACE_MS);
    await h.reload((raw) => {
      raw.inbound.maxConnections = 3;
    });
    const held = await Promise.all([silentClient(), silentClient(), silentClient()]);
    try {
      await expect(silentClient()).rejects.toThrow(/closed before the handshake/);
      expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'max_connections' })).toBe(1);
    } finally {
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      await h.reload((raw) => {
        raw.inbound.maxConnections = 1024;
      });
    }
  });

  it('refuses connections over inbound.maxConnectionsPerSource from one address, not from another', async () => {
    await eventually(async () => (await h.metric('dfsp_sidecar_inbound_connections_open')) === 0, CLOSE_GRACE_MS);
    await h.reload((raw) => {
      raw.inbound.maxConnectionsPerSource = 2;
    });
    const held = await Promise.all([silentClient(), silentClient()]);
    try {
      await expect(silentClient()).rejects.toThrow(/closed before the handshake/);
      expect(await h.metric('dfsp_sidecar_inbound_connections_denied_total', { reason: 'max_connections_per_source' })).toBe(1);
      const other = await silentClient('127.0.0.2');
      held.push(other);
      const r = await rawExchange(h, httpRequest('GET', '/parties/MSISDN/1', []));
      expect(r.status).toBe(0); // 127.0.0.1 is still at its cap: closed at accept
    } finally {
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      await h.reload((raw) => {
        raw.inbound.maxConnectionsPerSource = 0;
      });
    }
  });
});

describe('TLS renegotiation', () => {
  it('is refused: the connection is cut and counted', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: h.port, ca: h.pki.dfspCa.certPem, cert: h.pki.client.chainPem, key: h.pki.client.keyPem, servername: 'localhost', maxVersion: 'TLSv1.2' });
    socket.on('error', () => {});
    await new Promise<void>((r) => socket.once('secureConnect', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.renegotiate({ rejectUnauthorized: false }, () => {});
    await closed;
    await eventually(async () => (await h.metric('dfsp_sidecar_inbound_tls_handshake_failures_total', { reason: 'renegotiation' })) === 1, 1_000);
  });
});
