/**
 * The whole lifecycle of a hub client certificate with our own tools, run as the built CLI: the DFSP
 * CA signs the hub's CSR (pki sign-csr), later revokes it (pki revoke) and issues a CRL (pki crl);
 * OpenSSL verifies that CRL against the CA (`openssl crl -verify`), and a running sidecar whose
 * inbound.tls.crlFiles names it refuses the revoked certificate in the handshake while another
 * certificate of the same CA still gets through.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/inbound-client.js';
import { makeTestPki, writeTestPki } from '../helpers/pki.js';
import { boundAddresses, portOf } from '../helpers/sidecar-fixture.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-pki-revoke-'));
const p = (name: string) => join(dir, name);
let sidecar: SidecarProcess | undefined;
let core: Server;
let corePort = 0;

async function pki(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = startSidecarProcess(['pki', ...args], { cwd: dir });
  const exit = await proc.exited();
  return { code: exit.code, out: proc.stdout(), err: proc.stderr() };
}

async function ok(args: string[]): Promise<string> {
  const r = await pki(args);
  if (r.code !== 0) throw new Error(`pki ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

beforeAll(async () => {
  core = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((r) => core.listen(0, '127.0.0.1', () => r()));
  corePort = (core.address() as AddressInfo).port;
  await ok(['init-ca', '--out', 'ca', '--cn', 'Test DFSP CA', '--o', 'Test DFSP', '--c', 'ZZ', '--key-size', '2048']);
  await ok(['server-cert', '--ca', 'ca', '--out', 'server', '--cn', 'localhost', '--dns', 'localhost', '--ip', '127.0.0.1', '--key-size', '2048']);
  // Two client CSRs from the hub; we sign both, then revoke one.
  for (const name of ['hub-old', 'hub-new']) {
    await ok(['csr', '--out', name, '--cn', `${name}.hub.test`, '--o', 'Test Hub', '--c', 'ZZ', '--key-size', '2048']);
    await ok(['sign-csr', '--ca', 'ca', '--csr', `${name}/client.csr.pem`, '--out', `${name}.cert.pem`, '--yes']);
  }
}, 120_000);
afterAll(async () => {
  await sidecar?.kill();
  await new Promise<void>((r) => core.close(() => r()));
});

describe('pki revoke and pki crl', () => {
  it('make a CRL that OpenSSL verifies and a running inbound gateway enforces', async () => {
    const revoked = await ok(['revoke', '--ca', 'ca', '--cert', 'hub-old.cert.pem', '--reason', 'keyCompromise']);
    expect(revoked).toMatch(/^revoked: '.*hub-old\.hub\.test.*' serial [0-9A-F]+ \(keyCompromise/);
    expect(await ok(['revoke', '--ca', 'ca', '--cert', 'hub-old.cert.pem'])).toMatch(/^already revoked/);
    // A certificate another CA issued cannot be revoked here.
    const stranger = writeTestPki(await makeTestPki());
    const foreign = await pki(['revoke', '--ca', 'ca', '--cert', stranger.hubClientCert]);
    expect(foreign.code).toBe(2);
    expect(foreign.err).toContain('was not issued by this CA');

    const issued = JSON.parse(await ok(['crl', '--ca', 'ca', '--out', 'hub-clients.crl.pem', '--days', '7', '--json'])) as { crlNumber: number; entries: number; nextUpdate: string };
    expect(issued).toMatchObject({ crlNumber: 1, entries: 1 });

    // OpenSSL, an independent implementation, verifies the signature and reads the entry.
    const verify = execFileSync('openssl', ['crl', '-in', p('hub-clients.crl.pem'), '-CAfile', p('ca/ca.cert.pem'), '-noout', '-verify'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(verify).toBe('');
    const verifyErr = execFileSync('sh', ['-c', `openssl crl -in '${p('hub-clients.crl.pem')}' -CAfile '${p('ca/ca.cert.pem')}' -noout -verify 2>&1`], { encoding: 'utf8' });
    expect(verifyErr).toMatch(/verify OK/);
    const text = execFileSync('openssl', ['crl', '-in', p('hub-clients.crl.pem'), '-noout', '-text'], { encoding: 'utf8' });
    const serial = execFileSync('openssl', ['x509', '-in', p('hub-old.cert.pem'), '-noout', '-serial'], { encoding: 'utf8' }).trim().replace(/^serial=/, '');
    expect(text.replace(/\s/g, '')).toContain(`SerialNumber:${serial}`);
    expect(text).toMatch(/Key Compromise/);
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*1/);

    const config = p('config.yaml');
    writeFileSync(
      config,
      `dfspId: dfspa
admin: { host: 127.0.0.1, port: 0 }
reload: { pollIntervalMs: 0 }
jws: { verify: false }
inbound:
  host: 127.0.0.1
  port: 0
  tls:
    certFile: server/server.chain.pem
    keyFile: server/server.key.pem
    caFiles: [ca/ca.cert.pem]       # the DFSP CA: it signed the hub's client certificates
    crlFiles: [hub-clients.crl.pem]
  allowlist: [127.0.0.0/8]
  core: { url: "http://127.0.0.1:${corePort}" }
outbound: { enabled: false }
`,
    );
    sidecar = startSidecarProcess(['run', '--config', config], { cwd: dir });
    await sidecar.waitFor((out) => out.includes('dfsp-sidecar started'));
    const addresses = boundAddresses(sidecar.logs());
    const port = portOf(addresses.inbound);
    const ca = readFileSync(p('ca/ca.cert.pem'), 'utf8');
    const client = (name: string) => ({ cert: readFileSync(p(`${name}.cert.pem`), 'utf8'), key: readFileSync(p(`${name}/client.key.pem`), 'utf8') });

    const refused = await send({ port, ca, creds: client('hub-old'), path: '/parties/MSISDN/1' });
    expect(refused.ok).toBe(false);
    const accepted = await send({ port, ca, creds: client('hub-new'), path: '/parties/MSISDN/1' });
    expect(accepted.ok && accepted.status).toBe(200);
    const metrics = await (await fetch(`http://${addresses.admin}/metrics`)).text();
    expect(metrics).toMatch(/dfsp_sidecar_inbound_tls_handshake_failures_total\{reason="revoked"\} 1\b/);
  });
});
