/**
 * `dfsp-sidecar doctor` against a real mTLS hub stand-in and token endpoint: all layers pass when
 * the set-up is right, and each kind of breakage is reported at its own layer with a hint.
 */
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, type Check } from '../../src/cli/doctor.js';
import { makeTestPki, writeTestPki, type TestPki, type TestPkiFiles } from '../helpers/pki.js';

let pki: TestPki;
let files: TestPkiFiles;
let hub: HttpsServer;
let token: HttpServer;
let hubPort = 0;
let tokenPort = 0;

beforeAll(async () => {
  pki = await makeTestPki();
  files = writeTestPki(pki);
  // The hub presents its server certificate and demands a client certificate from the hub CA.
  hub = createHttpsServer({ cert: pki.hubServer.chainPem, key: pki.hubServer.keyPem, ca: pki.hubCa.certPem, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.writeHead(404).end());
  token = createHttpServer((req, res) => {
    const ok = req.headers.authorization === `Basic ${Buffer.from('payerfsp:right').toString('base64')}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ access_token: 'never-printed-token', expires_in: 300 }) : '{"error":"invalid_client"}');
  });
  await Promise.all([new Promise<void>((r) => hub.listen(0, '127.0.0.1', () => r())), new Promise<void>((r) => token.listen(0, '127.0.0.1', () => r()))]);
  hubPort = (hub.address() as AddressInfo).port;
  tokenPort = (token.address() as AddressInfo).port;
});
afterAll(async () => {
  hub.closeAllConnections();
  token.closeAllConnections();
  await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => token.close(r))]);
});

async function doctor(o: { ca?: string; cert?: string; key?: string; secret?: string }): Promise<{ code: number; checks: Check[]; out: string }> {
  const config = join(files.dir, `doctor-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    config,
    `dfspId: payerfsp
jws: { sign: false, verify: false }
inbound: { enabled: false }
outbound:
  tls: { caFiles: [${o.ca ?? files.hubCaCert}], certFile: ${o.cert ?? files.dfspClientCert}, keyFile: ${o.key ?? files.dfspClientKey} }
  hub: { default: "https://127.0.0.1:${hubPort}" }
  oauth: { tokenEndpoint: "http://127.0.0.1:${tokenPort}/token", clientKey: payerfsp, clientSecret: ${o.secret ?? 'right'} }
`,
  );
  let out = '';
  const code = await doctorCommand(['--config', config, '--json', '--timeout', '3000'], { stdout: (t) => (out += t), stderr: (t) => (out += t), env: {}, cwd: files.dir });
  return { code, checks: (JSON.parse(out) as { checks: Check[] }).checks, out };
}
const layer = (checks: Check[], name: string) => checks.find((c) => c.layer === name);

describe('doctor', () => {
  it('passes every layer when the set-up is right, and never prints the token', async () => {
    const r = await doctor({});
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(layer(r.checks, 'tls')?.detail).toContain('TLSv1.3');
    expect(layer(r.checks, 'http')?.detail).toContain('HTTP 404');
    expect(layer(r.checks, 'token')?.detail).toContain('expires in 300 s');
    expect(r.out).not.toContain('never-printed-token');
  });

  it('names the TLS layer when the hub certificate does not chain to our CA bundle', async () => {
    const r = await doctor({ ca: files.foreignCaCert });
    expect(r.code).toBe(1);
    expect(layer(r.checks, 'tcp')?.ok).toBe(true);
    expect(layer(r.checks, 'tls')).toMatchObject({ ok: false, hint: expect.stringContaining('outbound.tls.caFiles') });
  });

  it('names the client certificate when the hub refuses it', async () => {
    const foreign = join(files.dir, 'foreign-client.pem');
    const foreignKey = join(files.dir, 'foreign-client.key');
    writeFileSync(foreign, pki.foreignClient.chainPem);
    writeFileSync(foreignKey, pki.foreignClient.keyPem, { mode: 0o600 });
    const r = await doctor({ cert: foreign, key: foreignKey });
    expect(r.code).toBe(1);
    const failed = r.checks.find((c) => !c.ok && (c.layer === 'tls' || c.layer === 'http'));
    expect(failed?.hint).toContain('client certificate');
  });

  it('names the token layer when the credentials are refused', async () => {
    const r = await doctor({ secret: 'wrong' });
    expect(r.code).toBe(1);
    expect(layer(r.checks, 'http')?.ok).toBe(true);
    expect(layer(r.checks, 'token')).toMatchObject({ ok: false, detail: expect.stringContaining('HTTP 401'), hint: expect.stringContaining('clientSecret') });
  });

  it('exits 2 listing config problems when the config is broken', async () => {
    const r = await doctor({ ca: join(files.dir, 'missing-ca.pem') });
    expect(r.code).toBe(2);
    expect(r.checks[0]).toMatchObject({ layer: 'config', ok: false, detail: expect.stringContaining('outbound.tls.caFiles') });
  });
});

describe('doctor on certificates close to expiry', () => {
  it('warns but passes', async () => {
    const r = await doctor({});
    const client = r.checks.find((c) => c.target === 'outbound.client-cert');
    // The shared test PKI issues leaf certificates that live about a week.
    expect(client).toMatchObject({ ok: true, warn: true, layer: 'expiry', hint: expect.stringContaining('renew') });
  });
});
