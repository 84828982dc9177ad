/**
 * `dfsp-sidecar doctor --ping | --party TYPE/ID`: a real FSPIOP request through an outbound gateway
 * (signed, our token, our client certificate) to a hub stand-in that checks the signature with the
 * real Mojaloop SDK validator and the bearer token, and the doctor reports the hub's verdict.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, type Check } from '../../src/cli/doctor.js';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { makeTestPki, writeTestPki, type TestPki, type TestPkiFiles } from '../helpers/pki.js';

const GOOD_TOKEN = 'hub-issued-token';
let pki: TestPki;
let files: TestPkiFiles;
let hub: OutboundHub;

beforeAll(async () => {
  pki = await makeTestPki();
  files = writeTestPki(pki);
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { [pki.fspId]: pki.jws.rsa.publicKeyPem } });
  // The hub's gateway checks the token, then (for signed requests) the signature.
  hub.handler = (rec, res) => {
    const error = (status: number, errorCode: string, errorDescription: string) => {
      const body = JSON.stringify({ errorInformation: { errorCode, errorDescription } });
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    if (rec.headers.authorization !== `Bearer ${GOOD_TOKEN}`) return error(401, '3000', 'Generic client error: invalid token');
    if (rec.headers['fspiop-signature'] !== undefined && rec.sdkLatest !== 'valid') return error(400, '3105', 'Invalid signature');
    res.writeHead(202, { 'content-length': '0' }).end();
  };
});
afterAll(async () => {
  await hub.close();
});

async function doctor(args: string[], token = GOOD_TOKEN): Promise<{ code: number; checks: Check[] }> {
  const config = join(files.dir, `doctor-fspiop-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    config,
    `dfspId: ${pki.fspId}
jws: { signingKeyFile: ${files.jwsSigningKey}, verify: false }
inbound: { enabled: false }
outbound:
  tls: { caFiles: [${files.hubCaCert}], certFile: ${files.dfspClientCert}, keyFile: ${files.dfspClientKey} }
  hub: { default: "${hub.url}" }
  oauth: { staticToken: ${token} }
`,
  );
  let out = '';
  const code = await doctorCommand(['--config', config, '--json', '--timeout', '5000', ...args], { stdout: (t) => (out += t), stderr: (t) => (out += t), env: {}, cwd: files.dir });
  return { code, checks: (JSON.parse(out) as { checks: Check[] }).checks };
}
const fspiop = (checks: Check[]) => checks.find((c) => c.layer === 'fspiop');

describe('doctor: a signed FSPIOP request and the hub verdict', () => {
  it('--ping: the hub accepted our signature and token', async () => {
    const before = hub.requests.length;
    const r = await doctor(['--ping']);
    expect(fspiop(r.checks)).toMatchObject({ target: 'POST /ping', ok: true, detail: expect.stringContaining('the hub accepted our signature and our token: HTTP 202') });
    expect(r.code).toBe(0);
    const sent = hub.requests.slice(before).find((q) => q.url === '/ping');
    expect(sent?.sdkLatest).toBe('valid');
    expect(sent?.clientCn).toBe(pki.fspId);
    expect(String(sent?.headers['x-request-id'])).toMatch(/^doctor-/);
  });

  it('--ping: names our signature when the hub holds another key for us', async () => {
    hub.setKeys({ [pki.fspId]: pki.jws.hub.publicKeyPem });
    try {
      const r = await doctor(['--ping']);
      expect(r.code).toBe(1);
      expect(fspiop(r.checks)).toMatchObject({ ok: false, detail: expect.stringContaining('the hub refused our signature: HTTP 400 3105'), hint: expect.stringContaining('JWS public key') });
    } finally {
      hub.setKeys({ [pki.fspId]: pki.jws.rsa.publicKeyPem });
    }
  });

  it('--party: names our token when the hub refuses it', async () => {
    const r = await doctor(['--party', 'MSISDN/123456789'], 'stale-token');
    expect(r.code).toBe(1);
    expect(fspiop(r.checks)).toMatchObject({ target: 'GET /parties/MSISDN/123456789', ok: false, detail: expect.stringContaining('the hub refused our token: HTTP 401') });
    expect(hub.requests.at(-1)?.url).toBe('/parties/MSISDN/123456789');
  });

  it('--party: passes with a good token, and says a GET carries no signature', async () => {
    const r = await doctor(['--party', 'MSISDN/123456789']);
    expect(r.code).toBe(0);
    expect(fspiop(r.checks)?.detail).toContain('GET carries no signature');
  });

  it('refuses a malformed --party and --party with --ping (exit 2)', async () => {
    const io = { stdout: () => {}, stderr: () => {}, env: {}, cwd: files.dir };
    await expect(doctorCommand(['--party', 'MSISDN'], io)).rejects.toThrow(/TYPE\/ID/);
    await expect(doctorCommand(['--party', 'MSISDN/1', '--ping'], io)).rejects.toThrow(/choose one/);
  });
});
