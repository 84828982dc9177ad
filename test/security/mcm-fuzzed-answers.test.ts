/**
 * A hostile MCM answering every call with generated bodies and statuses (garbage, wrong types,
 * truncated or mismatched PEM, a private key where a public key belongs, a CA:TRUE CSR, 100 KB
 * strings, real CA and leaf certificates in the wrong places). Over every generated run:
 * - a cycle never throws and every step ends done, waiting or failed;
 * - the hub CA file, when written, holds only CA certificates (the one real hub CA in the pool);
 * - our client certificate is never installed (nothing in the pool certifies our pending key);
 * - the peer key directory only ever holds public keys under safe names;
 * - every certificate we upload for the hub is a client leaf of our CA, never a CA.
 *
 * MCM_FUZZ_RUNS sets the run count (default 60 in `npm test`); MCM_FUZZ_SEED replays one.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { SidecarConfig } from '../../src/config/schema.js';
import { parsePeerKeyFile } from '../../src/crypto/jws/peer-key.js';
import { createCa, createClientCert, createServerCert, generateKeyPair, parseCertificates, privateKeyPem, publicKeyPem, verifyChain } from '../../src/crypto/pki/index.js';
import { createMcmApi, type McmApi } from '../../src/mcm/api.js';
import { runCycle } from '../../src/mcm/runner.js';
import { createStateStore } from '../../src/mcm/state-file.js';
import { createSilentLogger } from '../../src/shared/log.js';
import { createCsrRequesting, createSubjectlessCsr } from '../helpers/mcm-standin/pki.js';

const RUNS = Number(process.env.MCM_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.MCM_FUZZ_SEED ?? 20_261_205);

interface Answer {
  status: number;
  body: string;
}

let server: Server;
let answers: (method: string, path: string) => Answer = () => ({ status: 500, body: '' });
const uploads: string[] = [];
let dir: string;
let config: SidecarConfig;
let api: McmApi;
let pool: string[];
let hubCaPem: string;
let dfspCaPem: string;

beforeAll(async () => {
  const tlsCa = await createCa({ cn: 'fuzz TLS CA', o: 'Fuzz', c: 'ZZ' });
  const tlsCert = await createServerCert({ ca: tlsCa, cn: 'localhost', ip: ['127.0.0.1'], days: 2 });
  server = createServer({ cert: tlsCert.chainPem, key: tlsCert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').replace(/^\/api/, '').split('?')[0]!;
      if (req.method === 'POST' && /\/enrollments\/outbound\/\d+\/certificate$/.test(path)) {
        try {
          uploads.push(String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { certificate?: unknown }).certificate));
        } catch {
          uploads.push('');
        }
      }
      const a = answers(req.method ?? 'GET', path);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const hubCa = await createCa({ cn: 'fuzz hub CA', o: 'Hub', c: 'ZZ' });
  hubCaPem = hubCa.certPem;
  const leaf = await createClientCert({ ca: hubCa, cn: 'dfspa', o: 'X', c: 'ZZ' });
  const key = (await generateKeyPair({ keyType: 'rsa', keySize: 2048 })).privateKey;
  const subjectless = await createSubjectlessCsr(2048);
  const caCsr = await createCsrRequesting({ askCa: true });
  pool = [
    hubCa.certPem,
    leaf.certPem,
    leaf.certPem + hubCa.certPem,
    hubCa.certPem.slice(0, 300),
    publicKeyPem(key),
    privateKeyPem(key, 'pkcs8'),
    subjectless.csrPem,
    caCsr.csrPem,
    '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    '-----BEGIN PUBLIC KEY-----\n' + 'A'.repeat(64) + '\n-----END PUBLIC KEY-----\n',
    'x'.repeat(100_000),
    '',
  ];

  dir = mkdtempSync(join(tmpdir(), 'sidecar-mcm-fuzz-'));
  const yaml = `dfspId: dfspa
jws: { signingKeyFile: ${dir}/jws.key, keysDirectory: ${dir}/peers }
inbound:
  tls: { certFile: ${dir}/server.pem, keyFile: ${dir}/server.key, caFiles: [${dir}/dfsp-ca.pem] }
  allowlist: [127.0.0.1]
outbound:
  tls: { caFiles: [${dir}/hub-ca.pem], certFile: ${dir}/client.pem, keyFile: ${dir}/client.key }
  hub: { default: "https://127.0.0.1:1" }
mcm:
  enabled: true
  url: https://127.0.0.1:${port}/api
  timeoutMs: 2000
  stateDirectory: ${dir}/state
  subject: { o: Fuzz DFSP, c: ZM }
  dfspCa: { certFile: ${dir}/dfsp-ca.pem, keyFile: ${dir}/dfsp-ca.key }
  rsaKeySize: 2048
  serverCert: { dnsNames: [localhost] }
  hubClientCert: { commonName: dfspa.example.com }
  endpoints: { callbackUrl: "https://dfspa.example.com", egressAddresses: [203.0.113.10] }
`;
  writeFileSync(join(dir, 'config.yaml'), yaml);
  const loaded = await loadConfig({ file: join(dir, 'config.yaml'), env: {}, cwd: dir });
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  config = loaded.config;
  api = createMcmApi({ url: config.mcm.url!, dfspId: 'dfspa', ca: tlsCa.certPem, timeoutMs: 2_000, oauth: undefined });
});

afterAll(async () => {
  await api?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

/** Strings an MCM answer carries: mostly from the pool (real and broken PEM), sometimes arbitrary. */
function str(): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 11 }).map((i) => pool[i]!) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
}

function enrollment(): fc.Arbitrary<unknown> {
  return fc.record(
    {
      id: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 3 }) }),
      csr: str(),
      state: fc.constantFrom('CSR_LOADED', 'CERT_SIGNED', 'NEW', 'INVALID', ''),
      certificate: fc.option(str()),
      validationState: fc.constantFrom('VALID', 'INVALID'),
    },
    { requiredKeys: ['id', 'state'] },
  );
}

function jws(): fc.Arbitrary<unknown> {
  const id = fc.oneof(fc.constantFrom('payerfsp', 'switch', 'dfspa', '../x', '.hidden', 'a.next', 'x'.repeat(40), 'a/b'), fc.string({ maxLength: 10 }));
  return fc.record({ dfspId: id, publicKey: str(), createdAt: fc.option(fc.integer()) }, { requiredKeys: ['dfspId', 'publicKey'] });
}

/** What each route answers: mostly its own shape with hostile content, sometimes anything at all. */
const SHAPES: Record<string, () => fc.Arbitrary<unknown>> = {
  'GET /hub/ca': () => fc.record({ rootCertificate: fc.option(str()), intermediateChain: fc.option(str()) }),
  'GET ca': () => fc.record({ rootCertificate: fc.option(str()), intermediateChain: fc.option(str()) }),
  'POST inbound': enrollment,
  'GET inbound/': enrollment,
  'GET outbound': () => fc.array(enrollment(), { maxLength: 3 }),
  'POST certificate': enrollment,
  'GET own-jws': jws,
  'GET jwscerts': () => fc.array(jws(), { maxLength: 4 }),
  'GET egress': () => fc.record({ id: fc.integer(), ipList: fc.array(fc.record({ address: fc.string({ maxLength: 15 }), ports: fc.array(fc.string({ maxLength: 5 })) })) }),
  'GET ingress': () => fc.record({ id: fc.integer(), url: fc.string({ maxLength: 20 }) }),
};

function answerFor(route: string): fc.Arbitrary<Answer> {
  const shaped = (SHAPES[route] ?? (() => fc.constant({})))();
  return fc.oneof(
    { weight: 8, arbitrary: shaped.map((v) => ({ status: 200, body: JSON.stringify(v) ?? '' })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ status: 200, body: JSON.stringify(v) ?? '' })) },
    { weight: 1, arbitrary: fc.record({ status: fc.constantFrom(200, 201, 204, 400, 401, 404, 405, 422, 500, 503), body: fc.string({ maxLength: 50 }) }) },
    { weight: 1, arbitrary: fc.constant({ status: 200, body: '{"truncated": "' }) },
  );
}

/** Answers by route: the same route answers the same within a run, as a consistent (if hostile) server would. */
const routes = ['GET /hub/ca', 'GET ca', 'POST ca', 'POST inbound', 'GET inbound/', 'GET outbound', 'POST certificate', 'GET own-jws', 'POST own-jws', 'GET jwscerts', 'GET egress', 'POST egress', 'GET ingress', 'POST ingress', 'POST states'];
function routeOf(method: string, path: string): string {
  if (path === '/hub/ca') return 'GET /hub/ca';
  if (path === '/dfsps/jwscerts') return 'GET jwscerts';
  if (path.endsWith('/ca')) return `${method} ca`;
  if (path.endsWith('/enrollments/inbound')) return 'POST inbound';
  if (/\/enrollments\/inbound\/\d+$/.test(path)) return 'GET inbound/';
  if (path.endsWith('/enrollments/outbound')) return 'GET outbound';
  if (path.endsWith('/certificate')) return 'POST certificate';
  if (path.endsWith('/jwscerts')) return `${method} own-jws`;
  if (path.endsWith('/egress')) return `${method} egress`;
  if (path.endsWith('/ingress')) return `${method} ingress`;
  return 'POST states';
}

describe('a hostile MCM with generated answers', () => {
  it('never gets a credential installed that our checks would refuse', async () => {
    const store = createStateStore(config.mcm.stateDirectory!);
    let cycles = 0;
    // The invariants below must not hold vacuously: the pool's valid pieces do get through.
    const reached = { hubCa: 0, peerKeys: 0, uploads: 0 };
    await fc.assert(
      fc.asyncProperty(fc.tuple(...routes.map(answerFor)), async (generated) => {
        const byRoute = new Map(routes.map((r, i) => [r, generated[i]!]));
        answers = (method, path) => byRoute.get(routeOf(method, path)) ?? { status: 404, body: '' };
        const report = await runCycle({ config, api, store, log: createSilentLogger() });
        cycles++;
        if (report.wrote.some((f) => f.endsWith('hub-ca.pem'))) reached.hubCa++;
        if (report.wrote.some((f) => f.includes('/peers/'))) reached.peerKeys++;
        reached.uploads += uploads.length;
        expect([0, 1, 3]).toContain(report.exitCode);
        for (const s of report.steps) expect(['done', 'waiting', 'failed']).toContain(s.state);

        const files = new Set(readdirSync(dir));
        if (files.has('hub-ca.pem')) {
          for (const c of parseCertificates(readFileSync(join(dir, 'hub-ca.pem'), 'utf8'))) expect(c.isCa).toBe(true);
          expect(readFileSync(join(dir, 'hub-ca.pem'), 'utf8').trim()).toBe(hubCaPem.trim());
        }
        expect(files.has('client.pem')).toBe(false);
        expect(files.has('client.key')).toBe(false);
        // The verifier needs the key directory even when MCM lists no usable peer.
        expect(files.has('peers')).toBe(true);
        for (const name of readdirSync(join(dir, 'peers'))) {
          expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.pem$/);
          const source = name.replace(/(\.next)?\.pem$/, '');
          expect(() => parsePeerKeyFile(name, { source, slot: name.includes('.next.') ? 'next' : 'current', format: 'pem' }, Buffer.from(readFileSync(join(dir, 'peers', name), 'utf8')))).not.toThrow();
        }
        dfspCaPem ??= readFileSync(join(dir, 'dfsp-ca.pem'), 'utf8');
        for (const u of uploads.splice(0)) {
          const [leaf] = parseCertificates(u);
          expect(leaf!.isCa).toBe(false);
          expect(verifyChain(leaf!, { roots: parseCertificates(dfspCaPem), purpose: 'clientAuth' }).ok).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(cycles).toBe(RUNS);
    expect(reached.hubCa).toBeGreaterThan(0);
    expect(reached.peerKeys).toBeGreaterThan(0);
    expect(reached.uploads).toBeGreaterThan(0);
    // A bound, not a timing assertion: a run takes ~15 ms; a hung call ends at mcm.timeoutMs (2 s).
  }, 30_000 + RUNS * 500);
});
