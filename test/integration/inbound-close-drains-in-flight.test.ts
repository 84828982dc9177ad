/**
 * Graceful stop: close(deadline) stops accepting at once, closes idle keep-alive connections,
 * lets an in-flight request finish (answered with Connection: close), reports not ready while
 * draining; a request still running at the deadline is cut off there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mtlsPool, send } from '../helpers/inbound-client.js';
import { startCore, type CoreStandIn } from '../helpers/inbound-core.js';
import { startInboundHarness, type InboundHarness } from '../helpers/inbound-harness.js';
import { canConnect } from '../helpers/net.js';

const cores: CoreStandIn[] = [];
const harnesses: InboundHarness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await Promise.all(cores.map((c) => c.close()));
});

async function slowCoreHarness(delayMs: number) {
  let arrived!: () => void;
  const hit = new Promise<void>((r) => (arrived = r));
  const core = await startCore((h, res) => {
    if (h.url.includes('slow')) arrived();
    setTimeout(() => res.end('{"done":true}'), h.url.includes('slow') ? delayMs : 0);
  });
  cores.push(core);
  const h = await startInboundHarness({ core });
  harnesses.push(h);
  return { h, hit };
}

describe('close(deadline)', () => {
  it('drains: in-flight finishes, idle keep-alive closes, no new connections, not ready', async () => {
    const { h, hit } = await slowCoreHarness(700);
    const creds = { cert: h.pki.client.chainPem, key: h.pki.client.keyPem };
    expect(h.gateway.readiness()).toEqual({ ready: true });

    const idle = mtlsPool(h.port, h.pki.dfspCa.certPem, creds, 1);
    let idleDisconnected = false;
    idle.on('disconnect', () => (idleDisconnected = true));
    const warm = await idle.request({ method: 'GET', path: '/parties/MSISDN/1' });
    await warm.body.text();

    const inFlight = send({ port: h.port, ca: h.pki.dfspCa.certPem, creds, path: '/parties/MSISDN/slow' });
    await hit;
    const started = Date.now();
    const closing = h.gateway.close(Date.now() + 5_000);
    expect(h.gateway.readiness()).toEqual({ ready: false, reason: 'draining' });
    expect(await canConnect(h.port)).toBe(false);
    await expect.poll(() => idleDisconnected, { timeout: 2_000 }).toBe(true);

    const r = await inFlight;
    expect(r.ok && r.status).toBe(200);
    expect(r.ok && r.headers.connection).toBe('close');
    expect(r.ok && r.body).toBe('{"done":true}');
    await closing;
    expect(Date.now() - started).toBeLessThan(4_000);
    await idle.close();
  });

  it('answers a request in flight on a keep-alive connection with Connection: close and closes that connection', async () => {
    // `send` uses a one-off connection (its own request says close); a pooled client says
    // keep-alive, so only the drain can make this answer close.
    const { h, hit } = await slowCoreHarness(500);
    const pool = mtlsPool(h.port, h.pki.dfspCa.certPem, { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, 1);
    let disconnected = false;
    pool.on('disconnect', () => (disconnected = true));
    const inFlight = pool.request({ method: 'GET', path: '/parties/MSISDN/slow' });
    await hit;
    const closing = h.gateway.close(Date.now() + 5_000);
    const r = await inFlight;
    expect(r.statusCode).toBe(200);
    expect(r.headers.connection).toBe('close');
    expect(await r.body.text()).toBe('{"done":true}');
    await closing;
    await expect.poll(() => disconnected, { timeout: 2_000 }).toBe(true);
    await pool.close();
  });

  it('cuts off what is still running at the deadline', async () => {
    const { h, hit } = await slowCoreHarness(10_000);
    const inFlight = send({ port: h.port, ca: h.pki.dfspCa.certPem, creds: { cert: h.pki.client.chainPem, key: h.pki.client.keyPem }, path: '/parties/MSISDN/slow' });
    await hit;
    const started = Date.now();
    await h.gateway.close(Date.now() + 500);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3_000);
    const r = await inFlight;
    expect(r.ok).toBe(false);
  });
});
