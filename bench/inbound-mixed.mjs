/**
 * Inbound mixed load: what large bodies whose signature does not match their raw bytes do to
 * everyone else. Small valid requests (signed ~1 KB POST /quotes, RS256) run on
 * `BENCH_CONNECTIONS` (10) keep-alive mTLS connections while `BENCH_LARGE` (8) other connections
 * send, back to back, a ~900 KB unsorted body whose signature matches none of its encodings (the
 * worst case for the verifier: the raw bytes fail, and so does every re-serialisation). Reported per sidecar
 * configuration: the small requests' p50/p99 and req/s, with and without the large ones, in the
 * same run, slices alternating round by round:
 *
 *   sidecar (default)     jws.reserialiseLimitBytes 64 KiB: the large body is refused after one
 *                         raw verification (3105 too_large_to_reserialise)
 *   sidecar (unbounded)   jws.reserialiseLimitBytes 2 MiB: the large body is parsed and re-serialised
 *                         twice on the event loop, as before the limit existed
 *
 *   npm run build && node bench/inbound-mixed.mjs
 * Env: BENCH_SECONDS (per slice, 3), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10), BENCH_LARGE (8).
 */
import { sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makePki, signedQuote, start, stop } from './lib/inbound-fixtures.mjs';
import { createLoadPool, runLoad } from './lib/mtls-loadgen.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const LARGE = Number(process.env.BENCH_LARGE ?? 8);

if (!existsSync(join(dist, 'cli.js'))) {
  process.stderr.write('bench/inbound-mixed.mjs: build first (npm run build)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'bench-mixed-'));
chmodSync(dir, 0o755);
mkdirSync(join(dir, 'peers'));
const children = [];
const cleanup = async () => {
  for (const c of children.reverse()) await stop(c.child);
  rmSync(dir, { recursive: true, force: true });
};

/** ~`bytes` of unsorted JSON, and the headers of a signature over its sorted form. */
function largeMismatch(privateKey, bytes) {
  const items = Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => ({ z: i, a: 'x'.repeat(20) }));
  const body = Buffer.from(JSON.stringify({ z: 1, items }));
  // Signed over a sorted form of a slightly different body: raw, sorted and insertion order all fail,
  // so the unbounded verifier does every step (what a forger or a broken peer costs).
  const sorted = Buffer.from(JSON.stringify({ items: items.map((it) => ({ a: it.a, z: it.z })), z: 2 }));
  const date = new Date().toUTCString();
  const ph = Buffer.from(JSON.stringify({ alg: 'RS256', 'FSPIOP-URI': '/transfers/1', 'FSPIOP-HTTP-Method': 'PUT', 'FSPIOP-Source': 'payerfsp', 'FSPIOP-Destination': 'dfspa', Date: date })).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${ph}.${sorted.toString('base64url')}`), privateKey).toString('base64url');
  return {
    body,
    headers: {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
      date,
      'fspiop-source': 'payerfsp',
      'fspiop-destination': 'dfspa',
      'fspiop-uri': '/transfers/1',
      'fspiop-http-method': 'PUT',
      'fspiop-signature': JSON.stringify({ signature, protectedHeader: ph }),
    },
  };
}

try {
  const pki = await makePki(dist, dir);
  writeFileSync(pki.files.peerPub, pki.jwsPublicPem);
  const small = signedQuote(pki.jwsPrivate);
  const large = largeMismatch(pki.jwsPrivate, 900_000);
  const tls = { ca: pki.ca.certPem, cert: pki.client.chainPem, key: pki.client.keyPem };
  const corePort = await freePort();
  const core = await start(process.execPath, [join(root, 'bench/lib/inbound-core.mjs'), String(corePort)], (o) => o.includes('ready'));
  children.push({ child: core });

  const startSidecar = async (name, limit) => {
    const port = await freePort();
    const file = join(dir, `sidecar-${limit}.yaml`);
    writeFileSync(
      file,
      `dfspId: dfspa
log: { level: info }
admin: { enabled: false }
reload: { pollIntervalMs: 0 }
jws: { keysDirectory: ${pki.files.peers}, reserialiseLimitBytes: ${limit} }
inbound:
  host: 127.0.0.1
  port: ${port}
  bodyLimitBytes: 2097152
  tls: { certFile: ${pki.files.serverCert}, keyFile: ${pki.files.serverKey}, caFiles: [${pki.files.ca}] }
  allowlist: [127.0.0.1/32]
  core: { url: "http://127.0.0.1:${corePort}", connections: 64 }
outbound: { enabled: false }
`,
    );
    const child = await start(process.execPath, [join(dist, 'cli.js'), 'run', '--config', file], (o) => o.includes('dfsp-sidecar started') || o.includes('"level":"fatal"'));
    children.push({ child });
    return { name, url: `https://127.0.0.1:${port}` };
  };
  const configs = [await startSidecar('sidecar (default, 64 KiB)', 65_536), await startSidecar('sidecar (unbounded, 2 MiB)', 2_097_152)];
  const pools = new Map();
  for (const c of configs) {
    const smallPool = createLoadPool({ url: c.url, connections: CONNECTIONS, tls });
    const largePool = createLoadPool({ url: c.url, connections: LARGE, tls });
    // Warm both pools (TLS handshakes are not measured).
    await runLoad({ url: c.url, connections: CONNECTIONS, durationMs: 500, tls, dispatcher: smallPool, request: () => ({ method: 'POST', path: '/quotes', headers: small.headers, body: small.body }) });
    await runLoad({ url: c.url, connections: LARGE, durationMs: 500, tls, dispatcher: largePool, expectStatus: 400, request: () => ({ method: 'PUT', path: '/transfers/1', headers: large.headers, body: large.body }) });
    pools.set(c.name, { smallPool, largePool });
  }

  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of configs) {
      const { smallPool, largePool } = pools.get(c.name);
      for (const withLarge of [false, true]) {
        const smallRun = runLoad({ url: c.url, connections: CONNECTIONS, durationMs: SECONDS * 1000, tls, dispatcher: smallPool, request: () => ({ method: 'POST', path: '/quotes', headers: small.headers, body: small.body }) });
        const largeRun = withLarge
          ? runLoad({ url: c.url, connections: LARGE, durationMs: SECONDS * 1000, tls, dispatcher: largePool, expectStatus: 400, request: () => ({ method: 'PUT', path: '/transfers/1', headers: large.headers, body: large.body }) })
          : Promise.resolve(undefined);
        const [s, l] = await Promise.all([smallRun, largeRun]);
        results.push({ round, config: c.name, withLarge, small: { rps: s.rps, p50: s.latencyMs?.p50 ?? NaN, p99: s.latencyMs?.p99 ?? NaN, failed: s.unexpected + s.errors }, large: l ? { rps: l.rps, p50: l.latencyMs?.p50, p99: l.latencyMs?.p99, unexpected: l.unexpected + l.errors } : undefined });
      }
    }
  }
  for (const { smallPool, largePool } of pools.values()) {
    await smallPool.close();
    await largePool.close();
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const lines = [
    `inbound mixed load: ${CONNECTIONS} connections of small valid requests, plus ${LARGE} connections of 900 KB mismatching bodies; ${ROUNDS} rounds x ${SECONDS} s, medians`,
    '| sidecar | large bodies | small req/s | small p50 ms | small p99 ms | small failed | large answered/s |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of configs) {
    for (const withLarge of [false, true]) {
      const rs = results.filter((r) => r.config === c.name && r.withLarge === withLarge);
      const f = (x) => x.toFixed(2);
      lines.push(`| ${c.name} | ${withLarge ? 'yes' : 'no'} | ${Math.round(median(rs.map((r) => r.small.rps)))} | ${f(median(rs.map((r) => r.small.p50)))} | ${f(median(rs.map((r) => r.small.p99)))} | ${rs.reduce((a, r) => a + r.small.failed, 0)} | ${withLarge ? f(median(rs.map((r) => r.large.rps))) : '–'} |`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const out = join(root, 'bench/results', `inbound-mixed-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ node: process.version, seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, large: LARGE, results }, null, 2));
  process.stdout.write(`results: ${out}\n`);
} finally {
  await cleanup();
}
