/**
 * The first run: `dfsp-sidecar run` with no config starts the dev profile from a clean directory,
 * answers on every listener, and the banner's curl makes a full signed mTLS round trip.
 */
import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';

let sidecar: SidecarProcess | undefined;
afterAll(async () => {
  await sidecar?.kill();
});

async function until<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('dev profile', () => {
  it('starts from a clean tree, answers on every listener and makes the signed round trip', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-dev-'));
    sidecar = startSidecarProcess(['run', '--port-base', '0'], { cwd });
    await sidecar.waitFor((out) => out.includes('dev profile is up'), 60_000);
    const banner = sidecar.stdout();
    const port = (name: string) => Number(new RegExp(`${name}\\s+https?://127\\.0\\.0\\.1:(\\d+)`).exec(banner)?.[1]);
    const [inbound, outbound, admin] = [port('inbound'), port('outbound'), port('admin')];
    expect(inbound && outbound && admin).toBeTruthy();

    // Key files are private; the written config reproduces the run.
    expect(statSync(join(cwd, '.dev/jws/dev-dfsp.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, '.dev/pki/outbound-client.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(cwd, '.dev/config.yaml')).isFile()).toBe(true);

    // Ready once the token has been fetched.
    await until(async () => ((await fetch(`http://127.0.0.1:${admin}/readyz`)).status === 200 ? true : undefined));
    expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200);

    // The banner's curl, as a fetch: core -> outbound -> (mTLS) inbound -> echo core.
    const sent = { quoteId: 'q-1', amount: { currency: 'USD', amount: '100' }, transactionId: 't-1' };
    const res = await fetch(`http://127.0.0.1:${outbound}/quotes`, {
      method: 'POST',
      // fetch would send `accept: */*` otherwise, which the outbound gateway refuses (as the banner's curl would be without it).
      headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0', accept: 'application/vnd.interoperability.quotes+json;version=1.0', 'fspiop-destination': 'dev-dfsp' },
      body: JSON.stringify(sent),
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { received: { method: string; path: string; headers: Record<string, string>; body: unknown } };
    expect(echo.received.method).toBe('POST');
    expect(echo.received.path).toBe('/quotes');
    expect(echo.received.body).toEqual(sent);
    expect(echo.received.headers['fspiop-source']).toBe('dev-dfsp');
    expect(echo.received.headers['fspiop-uri']).toBe('/quotes');
    expect(JSON.parse(echo.received.headers['fspiop-signature'] as string)).toHaveProperty('protectedHeader');
    // The hub's echoed Authorization never reaches the core.
    expect(echo.received.headers.authorization).toBeUndefined();

    // The inbound listener refuses a client without a certificate.
    const handshake = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: inbound, rejectUnauthorized: false });
      s.on('secureConnect', () => s.write('GET /parties/MSISDN/1 HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('data', () => resolve('answered'));
      s.on('error', (e) => resolve(`error:${(e as NodeJS.ErrnoException).code ?? e.message}`));
      s.on('close', () => resolve('closed'));
    });
    expect(handshake).not.toBe('answered');

    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text());
    expect(metrics.samples.some((s) => s.name.startsWith('dfsp_sidecar_'))).toBe(true);
    expect(metrics.samples.filter((s) => !s.name.startsWith('dfsp_sidecar_'))).toEqual([]);

    sidecar.signal('SIGTERM');
    expect(await sidecar.exited()).toEqual({ code: 0, signal: null });
  });
});
