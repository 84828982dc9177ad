#!/usr/bin/env node
// Outbound gateway benchmark: core --HTTP--> sidecar --mTLS, JWS, bearer--> trivial hub.
//
// What it measures: bounded load of 1 KB FSPIOP quote bodies (POST /quotes) from autocannon over
// plain HTTP keep-alive, through the built sidecar (`node dist/cli.js run --config FILE`, spawned as
// its own process), to a trivial mTLS hub in another process (bench/lib/outbound-hub.mjs, 202
// empty). The sidecar's CPU is read from /proc/<pid>/stat (utime+stime, all threads) over the
// measured window only, so "CPU µs per request" is the sidecar's own cost, not the load
// generator's or the hub's. Latency added by the sidecar is measured at low load (one connection,
// closed loop) as the difference to the same client calling the hub directly over mTLS.
//
// Baselines measured in the same run: raw node:crypto signing on a KeyObject (the floor), and a
// naive sign+forward Node script (bench/lib/outbound-naive.mjs), and a bare Node proxy with no logic
// at all (bench/lib/outbound-bare-proxy.mjs: the HTTP + TLS cost any Node hop pays). Multi-core: the
// sidecar with signing worker threads, and (for comparison) a node:cluster of sidecar processes.
//
// Method: every target is started once and measured in alternating rounds (this 2-core box is shared
// and noisy; alternating spreads the noise over all targets); the median round is reported.
//
// Excludes: TLS handshakes (keep-alive; a warm-up precedes every measured window), token fetches
// (one per process at start), logging (level info: nothing per request).
//
// usage: npm run build && node bench/outbound.mjs
// env:   BENCH_SECONDS (measured seconds per scenario and round, default 5), BENCH_ROUNDS (default 3),
//        BENCH_CONNECTIONS (default 32), BENCH_ONLY (comma-separated scenario ids: bare, naive,
//        nosign, rs256, es256, rs256-w2, rs256-cluster2), BENCH_SKIP_CLUSTER=1
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, Pool, request } from 'undici';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'cli.js')) || !existsSync(join(dist, 'outbound', 'gateway.js'))) {
  process.stderr.write('bench/outbound.mjs needs the build: run `npx tsc -p tsconfig.build.json` (or `npm run build`) first\n');
  process.exit(2);
}
const { createCa, createServerCert, createClientCert } = await import(join(dist, 'crypto/pki/certificate.js'));
const { loadSigningKey, signRequest } = await import(join(dist, 'crypto/jws/index.js'));
const { createWorkerSigner } = await import(join(dist, 'outbound/sign-pool.js'));
const { createInlineSigner } = await import(join(dist, 'outbound/signer.js'));
const { createSilentLogger } = await import(join(dist, 'shared/log.js'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Math.max(1, Math.min(2, Math.round(SECONDS / 4)));
const LOW_LOAD_SECONDS = Math.max(2, Math.round(SECONDS / 2));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const CLK_TCK = 100; // Linux USER_HZ

// ---------------------------------------------------------------------------------------------
// Fixtures

const dir = mkdtempSync(join(tmpdir(), 'bench-outbound-'));
const file = (name, content) => {
  const p = join(dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
};
const hubCa = await createCa({ cn: 'Bench Hub CA', o: 'Hub', c: 'ZZ', days: 2 });
const [hubServer, client] = await Promise.all([
  createServerCert({ ca: hubCa, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 1 }),
  createClientCert({ ca: hubCa, cn: 'dfspa', days: 1 }),
]);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const files = {
  hubCa: file('hub-ca.pem', hubCa.certPem),
  clientCert: file('client.pem', client.chainPem),
  clientKey: file('client.key', client.keyPem),
  rsaKey: file('jws-rsa.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' })),
  ecKey: file('jws-ec.pem', ec.privateKey.export({ type: 'sec1', format: 'pem' })),
};

const body = JSON.stringify({
  quoteId: '7c23e80c-d078-4077-8263-2c047876fcf6',
  transactionId: '85feac2f-39b2-491b-817e-4a03203d4f14',
  transactionRequestId: 'a8323bc6-c228-4df2-ae82-e5a997baf898',
  payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123456789', fspId: 'dfspz', extensionList: { extension: [{ key: 'k1', value: 'v1' }] } } },
  payer: {
    personalInfo: { complexName: { firstName: 'Mats', middleName: 'Erik', lastName: 'Hagman' }, dateOfBirth: '1983-10-25' },
    partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '9876543210', fspId: 'dfspa' },
    name: 'Mats Hagman',
  },
  amountType: 'RECEIVE',
  amount: { amount: '150.25', currency: 'USD' },
  fees: { amount: '1.5', currency: 'USD' },
  transactionType: { scenario: 'TRANSFER', subScenario: 'P2P', initiator: 'PAYER', initiatorType: 'CONSUMER', balanceOfPayments: '110' },
  geoCode: { latitude: '52.5200', longitude: '13.4050' },
  note: 'Payment for invoice 2024-118, thanks again',
  expiration: '2030-01-01T00:00:00.000Z',
  extensionList: { extension: [{ key: 'channel', value: 'mobile-app' }, { key: 'campaign', value: 'none' }] },
});
const bodyBytes = Buffer.byteLength(body);

// ---------------------------------------------------------------------------------------------
// Process helpers

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function start(args, { waitFor, env } = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = waitFor(out);
      if (m) {
        clearInterval(timer);
        resolve(m);
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}\n${out}\n${err}`));
    });
  });
  return {
    child,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

function cpuTicks(pid) {
  // Fields after the parenthesised command: state is [0]; utime and stime are [11] and [12].
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
const cpuOf = (pids) => pids.reduce((a, p) => a + cpuTicks(p), 0);

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// The hub (its own process) and the direct-to-hub client for low-load baselines

const hubProc = start([join(root, 'bench/lib/outbound-hub.mjs'), file('hub.json', JSON.stringify({ certPem: hubServer.chainPem, keyPem: hubServer.keyPem, caPem: hubCa.certPem }))], {
  waitFor: (out) => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    return line ? JSON.parse(line) : undefined;
  },
});
const { hubPort, tokenPort } = await hubProc.ready;
const hubUrl = `https://127.0.0.1:${hubPort}`;

// ---------------------------------------------------------------------------------------------
// Scenarios

function sidecarConfig(port, { jwsKey, workers, sign = true }) {
  return `dfspId: dfspa
log: { level: info }
admin: { enabled: false }
inbound: { enabled: false }
reload: { pollIntervalMs: 0 }
jws:
  sign: ${sign}
  signingKeyFile: ${jwsKey}
outbound:
  host: 127.0.0.1
  port: ${port}
  workers: ${workers}
  tls:
    caFiles: [${files.hubCa}]
    certFile: ${files.clientCert}
    keyFile: ${files.clientKey}
  hub:
    default: ${hubUrl}
    connections: 64
  oauth:
    tokenEndpoint: https://127.0.0.1:${tokenPort}/token
    clientKey: bench
    clientSecret: bench-secret
`;
}

async function startSidecar(id, opts) {
  const port = await freePort();
  const cfg = file(`${id}.yaml`, sidecarConfig(port, opts));
  const p = start([join(dist, 'cli.js'), 'run', '--config', cfg], { waitFor: (out) => out.includes('dfsp-sidecar started') });
  await p.ready;
  return { url: `http://127.0.0.1:${port}`, pids: [p.child.pid], stop: p.stop };
}

async function startCluster(id, n) {
  const port = await freePort();
  const cfg = file(`${id}.yaml`, sidecarConfig(port, { jwsKey: files.rsaKey, workers: 0 }));
  const p = start([join(root, 'bench/lib/outbound-cluster.mjs'), String(n), cfg], {
    waitFor: (out) => {
      const line = out.split('\n').find((l) => l.startsWith('{"pids"'));
      return line ? JSON.parse(line) : undefined;
    },
  });
  const { pids } = await p.ready;
  return { url: `http://127.0.0.1:${port}`, pids: [p.child.pid, ...pids], stop: p.stop };
}

async function startBareProxy(id) {
  const port = await freePort();
  const cfg = file(`${id}.json`, JSON.stringify({ port, hubUrl, caPem: hubCa.certPem, certPem: client.chainPem, keyPem: client.keyPem }));
  const p = start([join(root, 'bench/lib/outbound-bare-proxy.mjs'), cfg], { waitFor: (out) => out.includes('listening') });
  await p.ready;
  return { url: `http://127.0.0.1:${port}`, pids: [p.child.pid], stop: p.stop };
}

async function startNaive(id) {
  const port = await freePort();
  const cfg = file(`${id}.json`, JSON.stringify({ port, hubUrl, caPem: hubCa.certPem, certPem: client.chainPem, keyPem: client.keyPem, jwsKeyPem: readFileSync(files.rsaKey, 'utf8'), token: 'bench-static-token' }));
  const p = start([join(root, 'bench/lib/outbound-naive.mjs'), cfg], { waitFor: (out) => out.includes('listening') });
  await p.ready;
  return { url: `http://127.0.0.1:${port}`, pids: [p.child.pid], stop: p.stop };
}

function load(url, seconds, connections) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/quotes`,
        method: 'POST',
        connections,
        duration: seconds,
        body,
        headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', accept: 'application/vnd.interoperability.quotes+json;version=1', 'fspiop-destination': 'dfspz' },
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** Warm up, then measure a saturated window with the target's CPU. */
async function saturate(target) {
  await load(target.url, WARMUP, CONNECTIONS);
  const hubPids = [hubProc.child.pid];
  const c0 = cpuOf(target.pids);
  const h0 = cpuOf(hubPids);
  const t0 = process.hrtime.bigint();
  const r = await load(target.url, SECONDS, CONNECTIONS);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuS = (cpuOf(target.pids) - c0) / CLK_TCK;
  const hubS = (cpuOf(hubPids) - h0) / CLK_TCK;
  const ok = r.requests.total - r.non2xx - r.errors;
  return {
    reqPerSec: Math.round(ok / wall),
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuPercent: Math.round((cpuS / wall) * 100),
    cpuUsPerReq: ok > 0 ? Math.round((cpuS / ok) * 1e6) : null,
    hubCpuUsPerReq: ok > 0 ? Math.round((hubS / ok) * 1e6) : null,
  };
}

/** One connection, closed loop: per-request latency percentiles (ms). */
async function closedLoop(dispatcher, url, seconds) {
  const headers = { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', 'fspiop-destination': 'dfspz', 'fspiop-source': 'dfspa', authorization: 'Bearer direct' };
  const samples = [];
  const until = Date.now() + seconds * 1000;
  let warm = 200;
  while (Date.now() < until) {
    const t0 = process.hrtime.bigint();
    const r = await request(`${url}/quotes`, { method: 'POST', body, headers, dispatcher });
    await r.body.dump();
    if (r.statusCode >= 300) throw new Error(`${url} answered ${r.statusCode}`);
    if (warm-- > 0) continue;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { n: samples.length, p50: q(0.5), p99: q(0.99) };
}

function rawSignRate(key, alg, ms = 2_000) {
  const k = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  const input = Buffer.from(`eyJhbGciOiJSUzI1NiJ9.${Buffer.from(body).toString('base64url')}`);
  for (let i = 0; i < 200; i++) sign('sha256', input, k);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 50; i++) sign('sha256', input, k);
    n += 50;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSec: Math.round(n / s), usPerOp: Math.round((s / n) * 1e6) };
}

/** The JWS engine's whole signRequest (canonical body, headers, signature) on the bench body. */
function engineSignRate(pem, ms = 2_000) {
  const key = loadSigningKey(pem);
  const input = { method: 'POST', path: '/quotes', headers: { 'fspiop-destination': 'dfspz' }, body: Buffer.from(body), source: 'dfspa', key };
  for (let i = 0; i < 200; i++) signRequest(input);
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 50; i++) signRequest(input);
    n += 50;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSec: Math.round(n / s), usPerOp: Math.round((s / n) * 1e6) };
}

/**
 * The signing path alone, in this process with nothing else running: the event-loop signer, and
 * the worker pool with 1 and 2 threads (16 jobs in flight). Shows what the pool can scale to when
 * cores are free, apart from the load generator and the hub sharing this box's two cores.
 */
async function poolScaling(pem, ms = 1_500) {
  const key = loadSigningKey(pem);
  const job = { method: 'POST', path: '/quotes', headers: { 'fspiop-destination': 'dfspz' }, body: Buffer.from(body), source: 'dfspa', key, signPutParties: true };
  const run = async (signer, inflight) => {
    const until = Date.now() + ms;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let n = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (Date.now() < until) {
          await signer.sign(job);
          n++;
        }
      }),
    );
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    return { perSec: Math.round(n / s), cpuUsPerOp: Math.round((c.user + c.system) / n) };
  };
  const inline = createInlineSigner();
  const w1 = createWorkerSigner({ threads: 1, log: createSilentLogger() });
  const w2 = createWorkerSigner({ threads: 2, log: createSilentLogger() });
  await run(w1, 16);
  await run(w2, 16);
  const out = { eventLoop: await run(inline, 1), workers1: await run(w1, 16), workers2: await run(w2, 16) };
  await Promise.all([w1.close(), w2.close()]);
  return { ...out, scaling: +(out.workers2.perSec / out.workers1.perSec).toFixed(2) };
}

// ---------------------------------------------------------------------------------------------
// Run: every target is started once, then measured in alternating rounds (the box is shared and
// noisy: alternating spreads the noise over all targets), and the median round is reported.

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgBefore: loadavg() },
  seconds: SECONDS,
  rounds: ROUNDS,
  connections: CONNECTIONS,
  bodyBytes,
  scenarios: {},
  lowLoad: {},
};
const want = (id) => !ONLY || ONLY.has(id);

process.stderr.write(`outbound bench: ${bodyBytes} B bodies, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s per scenario (+${WARMUP} s warm-up), load average ${results.machine.loadavgBefore}\n`);
// The floor and the engine's cost are measured in every round too (a one-off measurement taken while
// another process hogs the CPU would skew every ratio); the medians are reported.
const rsaKeyObject = createPrivateKey(readFileSync(files.rsaKey));
const ecKeyObject = createPrivateKey(readFileSync(files.ecKey));
const floorRuns = { rs256: [], es256: [], engineRs256: [], engineEs256: [] };
function measureFloor() {
  floorRuns.rs256.push(rawSignRate(rsaKeyObject, 'RS256', 750));
  floorRuns.es256.push(rawSignRate(ecKeyObject, 'ES256', 750));
  floorRuns.engineRs256.push(engineSignRate(readFileSync(files.rsaKey), 750));
  floorRuns.engineEs256.push(engineSignRate(readFileSync(files.ecKey), 750));
  const last = (k) => floorRuns[k].at(-1).usPerOp;
  process.stderr.write(`  floor: raw crypto.sign RS256 ${last('rs256')} µs, ES256 ${last('es256')} µs; engine signRequest RS256 ${last('engineRs256')} µs, ES256 ${last('engineEs256')} µs\n`);
}
results.pool = await poolScaling(readFileSync(files.rsaKey));
process.stderr.write(`  signing pool alone (RS256): event loop ${results.pool.eventLoop.perSec}/s, 1 worker ${results.pool.workers1.perSec}/s, 2 workers ${results.pool.workers2.perSec}/s (${results.pool.scaling}×)\n`);

const scenarios = [
  { id: 'bare', label: 'bare Node proxy: HTTP in, undici mTLS out, nothing else', start: () => startBareProxy('bare') },
  { id: 'naive', label: 'naive sign+forward script (RS256, event loop)', start: () => startNaive('naive') },
  { id: 'nosign', label: 'sidecar, jws.sign: false (plumbing only)', start: () => startSidecar('nosign', { jwsKey: files.rsaKey, workers: 0, sign: false }) },
  { id: 'rs256', label: 'sidecar RS256, workers: 0', start: () => startSidecar('rs256', { jwsKey: files.rsaKey, workers: 0 }) },
  { id: 'es256', label: 'sidecar ES256, workers: 0', start: () => startSidecar('es256', { jwsKey: files.ecKey, workers: 0 }) },
  { id: 'rs256-w2', label: 'sidecar RS256, workers: 2 (threads)', start: () => startSidecar('rs256-w2', { jwsKey: files.rsaKey, workers: 2 }) },
  ...(process.env.BENCH_SKIP_CLUSTER ? [] : [{ id: 'rs256-cluster2', label: 'cluster of 2 sidecar processes, RS256 (comparison)', start: () => startCluster('rs256-cluster2', 2) }]),
].filter((s) => want(s.id));

const targets = {};
for (const s of scenarios) targets[s.id] = await s.start();
const rounds = Object.fromEntries(scenarios.map((s) => [s.id, []]));
for (let round = 1; round <= ROUNDS; round++) {
  measureFloor();
  for (const s of scenarios) {
    const r = await saturate(targets[s.id]);
    rounds[s.id].push(r);
    process.stderr.write(`  round ${round} ${s.id}: ${r.reqPerSec} req/s, ${r.cpuUsPerReq} µs CPU/req, ${r.cpuPercent} % CPU, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, errors ${r.errors}, non-2xx ${r.non2xx}\n`);
  }
}
const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.floor((v.length - 1) / 2)];
};
const medianRate = (runs) => {
  const usPerOp = median(runs.map((r) => r.usPerOp));
  return { usPerOp, perSec: Math.round(1e6 / usPerOp), runsUs: runs.map((r) => r.usPerOp) };
};
results.floor = { rs256: medianRate(floorRuns.rs256), es256: medianRate(floorRuns.es256) };
results.engine = { rs256: medianRate(floorRuns.engineRs256), es256: medianRate(floorRuns.engineEs256) };
for (const s of scenarios) {
  const rs = rounds[s.id];
  results.scenarios[s.id] = {
    label: s.label,
    reqPerSec: median(rs.map((r) => r.reqPerSec)),
    reqPerSecRuns: rs.map((r) => r.reqPerSec),
    p50ms: median(rs.map((r) => r.p50ms)),
    p99ms: median(rs.map((r) => r.p99ms)),
    cpuPercent: median(rs.map((r) => r.cpuPercent)),
    cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
    cpuUsRuns: rs.map((r) => r.cpuUsPerReq),
    hubCpuUsPerReq: median(rs.map((r) => r.hubCpuUsPerReq)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
  };
}

// Low load: one connection, closed loop, through the sidecar and the naive script, and to the hub
// directly over mTLS from the same client (the difference is the latency each adds).
for (const id of ['rs256', 'naive']) {
  if (!targets[id]) continue;
  const pool = new Pool(targets[id].url, { connections: 1 });
  results.lowLoad[id] = await closedLoop(pool, targets[id].url, LOW_LOAD_SECONDS);
  await pool.close();
}
{
  const agent = new Agent({ connections: 1, connect: { ca: hubCa.certPem, cert: client.chainPem, key: client.keyPem } });
  results.lowLoad.direct = await closedLoop(agent, hubUrl, LOW_LOAD_SECONDS);
  await agent.close();
}
for (const t of Object.values(targets)) await t.stop();
await hubProc.stop();
results.machine.loadavgAfter = loadavg();

// ---------------------------------------------------------------------------------------------
// Report

const sc = results.scenarios;
const floorUs = results.floor.rs256.usPerOp;
const best = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return v.length === 0 ? null : Math.min(...v);
};
// "Per core" = requests per CPU-second of the sidecar's own processes/threads. On this shared box the
// median round carries other people's load; the best round is the closest to the uncontended cost.
const perCore = (us) => (us ? Math.round(1e6 / us) : null);
const bestFloorUs = best(results.floor.rs256.runsUs);
const goals = {
  rs256: {
    goal: 'RS256: ≥ 0.8× the raw signing rate per core',
    median: sc.rs256 ? perCore(sc.rs256.cpuUsPerReq) / results.floor.rs256.perSec : null,
    best: sc.rs256 ? bestFloorUs / best(sc.rs256.cpuUsRuns) : null,
  },
  es256: { goal: 'ES256: ≥ 4,000 req/s per core', median: perCore(sc.es256?.cpuUsPerReq), best: perCore(best(sc.es256?.cpuUsRuns ?? [])) },
  workers: {
    goal: 'workers on 2 cores ≥ 1.7× single-core throughput',
    median: sc['rs256-w2'] && sc.rs256 ? median(rounds['rs256-w2'].map((r, i) => r.reqPerSec / rounds.rs256[i].reqPerSec)) : null,
    best: sc['rs256-w2'] && sc.rs256 ? Math.max(...rounds['rs256-w2'].map((r, i) => r.reqPerSec / rounds.rs256[i].reqPerSec)) : null,
    cluster: sc['rs256-cluster2'] && sc.rs256 ? median(rounds['rs256-cluster2'].map((r, i) => r.reqPerSec / rounds.rs256[i].reqPerSec)) : null,
    pool: results.pool.scaling,
  },
};
results.goals = goals;
const added = (id) =>
  results.lowLoad[id] && results.lowLoad.direct
    ? { p50: +(results.lowLoad[id].p50 - results.lowLoad.direct.p50).toFixed(3), p99: +(results.lowLoad[id].p99 - results.lowLoad.direct.p99).toFixed(3) }
    : undefined;
results.added = { rs256: added('rs256'), naive: added('naive') };

const fmt = (x, d = 2) => (x === null || x === undefined ? 'n/a' : typeof x === 'number' ? x.toFixed(d) : String(x));
const table = [
  `Machine: ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}; load average ${results.machine.loadavgBefore} before, ${results.machine.loadavgAfter} after (other work on the box inflates every figure).`,
  `Floor (same run, median of one measurement per round): raw node:crypto sign on a KeyObject, one thread: RS256 ${floorUs} µs = ${results.floor.rs256.perSec}/s [${results.floor.rs256.runsUs.join(', ')} µs]; ES256 ${results.floor.es256.usPerOp} µs = ${results.floor.es256.perSec}/s.`,
  `JWS engine signRequest on the bench body (canonical JSON + headers + signature): RS256 ${results.engine.rs256.usPerOp} µs [${results.engine.rs256.runsUs.join(', ')}], ES256 ${results.engine.es256.usPerOp} µs [${results.engine.es256.runsUs.join(', ')}].`,
  `Signing path alone, RS256, in-process: event loop ${results.pool.eventLoop.perSec}/s (${results.pool.eventLoop.cpuUsPerOp} µs CPU/op); worker pool 1 thread ${results.pool.workers1.perSec}/s (${results.pool.workers1.cpuUsPerOp} µs CPU/op), 2 threads ${results.pool.workers2.perSec}/s (${results.pool.workers2.cpuUsPerOp} µs CPU/op): ${results.pool.scaling}× from 1 to 2 threads.`,
  '',
  `| scenario (${bodyBytes} B POST /quotes, ${CONNECTIONS} conns; median of ${ROUNDS} alternating ${SECONDS} s rounds) | req/s [rounds] | p50 ms | p99 ms | sidecar CPU | sidecar CPU µs/req [rounds] | req/s per core (median) | hub CPU µs/req | errors/non-2xx |`,
  '|---|---|---|---|---|---|---|---|---|',
  ...Object.values(sc).map((r) => `| ${r.label} | ${r.reqPerSec} [${r.reqPerSecRuns.join(', ')}] | ${r.p50ms} | ${r.p99ms} | ${r.cpuPercent} % | ${r.cpuUsPerReq} [${r.cpuUsRuns.join(', ')}] | ${perCore(r.cpuUsPerReq)} | ${r.hubCpuUsPerReq} | ${r.errors}/${r.non2xx} |`),
  '',
  `| low load (1 connection, closed loop, ${LOW_LOAD_SECONDS} s) | p50 ms | p99 ms | added p50 ms | added p99 ms |`,
  '|---|---|---|---|---|',
  ...['direct', 'rs256', 'naive'].filter((k) => results.lowLoad[k]).map((k) => `| ${k === 'direct' ? 'hub directly (mTLS, same client)' : sc[k]?.label ?? k} | ${fmt(results.lowLoad[k].p50, 3)} | ${fmt(results.lowLoad[k].p99, 3)} | ${k === 'direct' ? '–' : fmt(results.added[k]?.p50, 3)} | ${k === 'direct' ? '–' : fmt(results.added[k]?.p99, 3)} |`),
  '',
  '| target | median round | best round | met (best round) |',
  '|---|---|---|---|',
  `| ${goals.rs256.goal} (floor ${floorUs} µs median, ${bestFloorUs} µs best) | ${fmt(goals.rs256.median)}× (${fmt(sc.rs256?.cpuUsPerReq, 0)} µs CPU/req) | ${fmt(goals.rs256.best)}× (${fmt(best(sc.rs256?.cpuUsRuns ?? []), 0)} µs CPU/req) | ${goals.rs256.best >= 0.8 ? 'yes' : 'no'} |`,
  `| ${goals.es256.goal} (≤ 250 µs CPU/req) | ${fmt(goals.es256.median, 0)} req/s per core | ${fmt(goals.es256.best, 0)} req/s per core | ${goals.es256.best >= 4000 ? 'yes' : 'no'} |`,
  `| ${goals.workers.goal} | ${fmt(goals.workers.median)}× (cluster of 2 processes: ${fmt(goals.workers.cluster)}×) | ${fmt(goals.workers.best)}× (signing pool alone: ${fmt(goals.workers.pool)}×) | ${goals.workers.best >= 1.7 ? 'yes' : 'no'} |`,
  '',
  `Breakdown (CPU µs per request): RS256 sidecar ${fmt(sc.rs256?.cpuUsPerReq, 0)} ≈ engine signRequest ${results.engine.rs256.usPerOp} (of which raw signature ${floorUs}) + plumbing ${fmt(sc.nosign?.cpuUsPerReq, 0)} (the sidecar with jws.sign: false: HTTP in, undici + TLS out, pipeline, metrics; a bare Node proxy doing only the HTTP and TLS part: ${fmt(sc.bare?.cpuUsPerReq, 0)}); ES256 sidecar ${fmt(sc.es256?.cpuUsPerReq, 0)} ≈ ${results.engine.es256.usPerOp} + ${fmt(sc.nosign?.cpuUsPerReq, 0)}.`,
].join('\n');

mkdirSync(join(root, 'bench/results'), { recursive: true });
const out = join(root, 'bench/results', `outbound-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ ...results, roundsRaw: rounds }, null, 2));
process.stdout.write(`${table}\n\nresults: ${out}\n`);
process.exit(0);
