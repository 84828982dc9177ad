/**
 * Inbound benchmark: hub → mTLS keep-alive → proxy → trivial core, with signed ~1 KB FSPIOP
 * bodies (POST /quotes, RS256, RSA-2048 certificates and keys), measured against baselines in the
 * same run, alternating scenarios round by round:
 *
 *   direct core              the core alone over plain HTTP (latency floor; not a proxy)
 *   plain node forwarder     https.createServer(requestCert) + undici, no allowlist, no JWS
 *   naive inbound forwarder  the plain forwarder + a CIDR check + RS256 verify, written the obvious way
 *   nginx mTLS (1 worker)    nginx terminating mTLS, proxying with keep-alive (skipped when nginx is absent)
 *   dfsp-sidecar inbound     `node dist/cli.js run --config ...`: allowlist, mTLS + identity, bounded
 *                            body, JWS verification, header rewriting, metrics (admin listener on)
 *   dfsp-sidecar, verify off the same with jws.verify: false: the sidecar's cost without the RSA
 *                            verification, so the verification's own cost in the server is measured
 *                            in the same run (the two differ only by it)
 *
 * Also measured in this process, same run: a raw crypto.verify (RS256, the request's signing
 * input, pre-imported KeyObject) per operation, the floor of what verification can cost.
 *
 * What is measured: keep-alive pools are opened and warmed up once per scenario (no TLS handshake
 * in a measured slice), then short slices alternate between the scenarios round by round, so the
 * background load of this shared machine hits them alike. Per slice: req/s and client-side
 * p50/p99 at `BENCH_CONNECTIONS` closed-loop connections, and the proxy process's CPU µs per
 * request from /proc/<pid>/stat (utime+stime over the slice; nginx: its workers). Reported: the
 * median slice, and ratios taken per round (slices adjacent in time), then the median. Then, with
 * one connection (low load), p50/p99; the time added by a proxy is its difference to `direct core`
 * in the same round. The load generator (bench/lib/mtls-loadgen.mjs) runs in this process; the
 * core and each proxy run as their own processes. Everything on 127.0.0.1.
 *
 * Production code with no test doubles: the sidecar is the built CLI. Results go to
 * bench/results/inbound-<time>.json and a table on stdout.
 *
 *   npm run build && node bench/inbound.mjs                     # ~2.5 minutes
 *   BENCH_ROUNDS=2 BENCH_LAT_ROUNDS=1 node bench/inbound.mjs    # quick
 * Env: BENCH_SECONDS (seconds per load slice, 2), BENCH_ROUNDS (slices per scenario, 9),
 *      BENCH_LAT_SECONDS (seconds per low-load slice, 1.5), BENCH_LAT_ROUNDS (3),
 *      BENCH_CONNECTIONS (50), BENCH_ONLY (regex on scenario names),
 *      BENCH_BASE_DIST (another build's dist/, e.g. of the previous release: adds "dfsp-sidecar, base
 *      build" to the same rounds, so a change is measured against what it replaces in one run).
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childPids, cpuTicks, freePort, makePki, signedQuote, start, stop } from './lib/inbound-fixtures.mjs';
import { createLoadPool, runLoad } from './lib/mtls-loadgen.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const LAT_SECONDS = Number(process.env.BENCH_LAT_SECONDS ?? 1.5);
const LAT_ROUNDS = Number(process.env.BENCH_LAT_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = new RegExp(process.env.BENCH_ONLY ?? '.');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

if (!existsSync(join(dist, 'cli.js')) || !existsSync(join(dist, 'inbound/gateway.js'))) {
  process.stderr.write('bench/inbound.mjs: build first (npm run build, or npx tsc -p tsconfig.build.json)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'bench-inbound-'));
chmodSync(dir, 0o755);
mkdirSync(join(dir, 'peers'));
const children = [];
const cleanup = async () => {
  for (const c of children.reverse()) await stop(c.child, c.signal);
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const pki = await makePki(dist, dir);
  writeFileSync(pki.files.peerPub, pki.jwsPublicPem);
  const signed = signedQuote(pki.jwsPrivate);
  const tls = { ca: pki.ca.certPem, cert: pki.client.chainPem, key: pki.client.keyPem };

  const corePort = await freePort();
  const core = await start(process.execPath, [join(root, 'bench/lib/inbound-core.mjs'), String(corePort)], (o) => o.includes('ready'));
  children.push({ child: core });

  const scenarios = [];
  const lib = (name) => join(root, 'bench/lib', name);
  scenarios.push({ name: 'direct core (HTTP)', url: `http://127.0.0.1:${corePort}`, pids: () => [], direct: true });

  const plainPort = await freePort();
  const plain = await start(process.execPath, [lib('inbound-plain-forwarder.mjs'), String(plainPort), String(corePort), pki.files.serverCert, pki.files.serverKey, pki.files.ca], (o) => o.includes('ready'));
  children.push({ child: plain });
  scenarios.push({ name: 'plain node forwarder', url: `https://127.0.0.1:${plainPort}`, pids: () => [plain.pid] });

  const naivePort = await freePort();
  const naive = await start(
    process.execPath,
    [lib('inbound-naive-forwarder.mjs'), String(naivePort), String(corePort), pki.files.serverCert, pki.files.serverKey, pki.files.ca, pki.files.peerPub, 'payerfsp'],
    (o) => o.includes('ready'),
  );
  children.push({ child: naive });
  scenarios.push({ name: 'naive inbound forwarder', url: `https://127.0.0.1:${naivePort}`, pids: () => [naive.pid] });

  let nginxVersion;
  try {
    // `nginx -v` writes its version to stderr; absent nginx: the scenario is skipped.
    nginxVersion = execFileSync('sh', ['-c', 'command -v nginx >/dev/null && nginx -v 2>&1'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    nginxVersion = undefined;
  }
  if (nginxVersion) {
    const nginxPort = await freePort();
    const ngx = join(dir, 'nginx');
    mkdirSync(join(ngx, 'tmp'), { recursive: true });
    chmodSync(join(ngx, 'tmp'), 0o777);
    writeFileSync(
      join(ngx, 'nginx.conf'),
      `daemon off;
master_process on;
worker_processes 1;
pid ${ngx}/nginx.pid;
error_log ${ngx}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${ngx}/tmp/body; proxy_temp_path ${ngx}/tmp/proxy;
  fastcgi_temp_path ${ngx}/tmp/fcgi; uwsgi_temp_path ${ngx}/tmp/uwsgi; scgi_temp_path ${ngx}/tmp/scgi;
  upstream core { server 127.0.0.1:${corePort}; keepalive 64; keepalive_requests 1000000; keepalive_timeout 30s; }
  ssl_certificate ${pki.files.serverCert}; ssl_certificate_key ${pki.files.serverKey};
  ssl_client_certificate ${pki.files.ca}; ssl_verify_client on; ssl_protocols TLSv1.2 TLSv1.3;
  keepalive_requests 1000000; keepalive_timeout 65s; client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:${nginxPort} ssl;
    location / { proxy_pass http://core; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Client-DN $ssl_client_s_dn; }
  }
}
`,
    );
    const master = await start('nginx', ['-p', `${ngx}/`, '-c', join(ngx, 'nginx.conf')], () => false, { port: nginxPort });
    children.push({ child: master, signal: 'SIGQUIT' });
    scenarios.push({ name: 'nginx mTLS (1 worker)', url: `https://127.0.0.1:${nginxPort}`, pids: () => childPids(master.pid) });
  }

  const adminPort = await freePort();
  const sidecarConfig = (port, verify, admin) => `dfspId: dfspa
log: { level: info }
admin: ${admin ? `{ host: 127.0.0.1, port: ${admin} }` : '{ enabled: false }'}
reload: { pollIntervalMs: 0 }
jws: { keysDirectory: ${pki.files.peers}, verify: ${verify} }
inbound:
  host: 127.0.0.1
  port: ${port}
  tls: { certFile: ${pki.files.serverCert}, keyFile: ${pki.files.serverKey}, caFiles: [${pki.files.ca}], peerIdentity: { subjectCn: [hub-client] } }
  allowlist: [127.0.0.1/32]
  core: { url: "http://127.0.0.1:${corePort}", connections: 64 }
outbound: { enabled: false }
`;
  const startSidecar = async (name, verify, admin, distDir = dist) => {
    const port = await freePort();
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, sidecarConfig(port, verify, admin));
    const child = await start(process.execPath, [join(distDir, 'cli.js'), 'run', '--config', file], (o) => o.includes('dfsp-sidecar started') || o.includes('"level":"fatal"'));
    children.push({ child });
    return { port, child };
  };
  const sidecar = await startSidecar('sidecar', true, adminPort);
  scenarios.push({ name: 'dfsp-sidecar inbound', url: `https://127.0.0.1:${sidecar.port}`, pids: () => [sidecar.child.pid], sidecar: true });
  if (process.env.BENCH_BASE_DIST) {
    const base = await startSidecar('sidecar-base', true, undefined, process.env.BENCH_BASE_DIST);
    scenarios.push({ name: 'dfsp-sidecar, base build', url: `https://127.0.0.1:${base.port}`, pids: () => [base.child.pid] });
  }
  const noVerify = await startSidecar('sidecar-noverify', false);
  scenarios.push({ name: 'dfsp-sidecar, verify off', url: `https://127.0.0.1:${noVerify.port}`, pids: () => [noVerify.child.pid] });

  const active = scenarios.filter((s) => s.direct || ONLY.test(s.name));
  const request = () => ({ method: 'POST', path: '/quotes', headers: signed.headers, body: signed.body });
  const rows = [];
  const load = (s, connections, durationMs, dispatcher) => runLoad({ url: s.url, connections, durationMs, tls: s.url.startsWith('https') ? tls : undefined, request, dispatcher });

  // Keep-alive pools for the whole run, warmed up once: every TLS handshake happens here, none in
  // a measured slice. Then short slices, alternating scenarios round by round, so a change in the
  // machine's background load hits every scenario alike; medians over the slices.
  const tlsFor = (s) => (s.url.startsWith('https') ? tls : undefined);
  for (const s of active) {
    s.pool = createLoadPool({ url: s.url, connections: CONNECTIONS, tls: tlsFor(s) });
    s.latPool = createLoadPool({ url: s.url, connections: 1, tls: tlsFor(s) });
    await load(s, CONNECTIONS, 1_000, s.pool);
    await load(s, 1, 300, s.latPool);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of active) {
      const pids = s.pids();
      const before = pids.map(cpuTicks);
      const t0 = performance.now();
      const r = await load(s, CONNECTIONS, SECONDS * 1000, s.pool);
      const wallS = (performance.now() - t0) / 1000;
      const ticks = pids.map(cpuTicks).reduce((sum, t, i) => sum + t - before[i], 0);
      const row = {
        round,
        name: s.name,
        rps: r.rps,
        ok: r.ok,
        failed: r.unexpected + r.errors,
        firstError: r.firstError,
        statuses: r.statuses,
        p50ms: r.latencyMs?.p50,
        p99ms: r.latencyMs?.p99,
        proxyCpuPct: pids.length ? Math.round(((ticks / CLK_TCK) * 100) / wallS) : undefined,
        proxyUsPerReq: pids.length && r.ok ? Math.round(((ticks / CLK_TCK) * 1e6) / (r.requests || r.ok)) : undefined,
      };
      rows.push(row);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${s.name}: ${row.rps} req/s, ${row.proxyUsPerReq ?? '-'} µs/req, p50 ${row.p50ms} ms, failed ${row.failed}\n`);
    }
  }
  // Low load: one connection, closed loop: the latency the proxy adds when nothing queues.
  for (let round = 0; round < LAT_ROUNDS; round++) {
    for (const s of active) {
      const lat = await load(s, 1, LAT_SECONDS * 1000, s.latPool);
      rows.push({ round, name: s.name, lowLoad: true, failed: lat.unexpected + lat.errors, lowLoadP50ms: lat.latencyMs?.p50, lowLoadP99ms: lat.latencyMs?.p99, lowLoadRps: lat.rps });
    }
  }
  for (const s of active) {
    await s.pool.close();
    await s.latPool.close();
  }

  const rawVerifyUs = measureRawVerify(pki.jwsPrivate, signed);

  // The sidecar's own view: time spent in the sidecar vs in the core, from its histograms.
  const metricsText = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const sidecarOwn = histogramQuantiles(metricsText, 'dfsp_sidecar_inbound_sidecar_duration_seconds');
  const coreOwn = histogramQuantiles(metricsText, 'dfsp_sidecar_inbound_core_duration_seconds');

  const med = (xs) => {
    const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
    return v.length ? v[Math.floor(v.length / 2)] : undefined;
  };
  const direct = (round) => rows.find((r) => r.lowLoad && r.round === round && r.name === 'direct core (HTTP)');
  const summary = active.map((s) => {
    const mine = rows.filter((r) => r.name === s.name && !r.lowLoad);
    const low = rows.filter((r) => r.name === s.name && r.lowLoad);
    const added = low.map((r) => (direct(r.round) ? r.lowLoadP50ms - direct(r.round).lowLoadP50ms : undefined));
    const added99 = low.map((r) => (direct(r.round) ? r.lowLoadP99ms - direct(r.round).lowLoadP99ms : undefined));
    return {
      name: s.name,
      rps: med(mine.map((r) => r.rps)),
      rpsRuns: mine.map((r) => r.rps),
      p50ms: med(mine.map((r) => r.p50ms)),
      p99ms: med(mine.map((r) => r.p99ms)),
      proxyCpuPct: med(mine.map((r) => r.proxyCpuPct)),
      usPerReq: med(mine.map((r) => r.proxyUsPerReq)),
      usPerReqRuns: mine.map((r) => r.proxyUsPerReq),
      lowLoadP50ms: med(low.map((r) => r.lowLoadP50ms)),
      addedP50ms: s.direct ? undefined : round3(med(added)),
      addedP99ms: s.direct ? undefined : round3(med(added99)),
      failed: mine.concat(low).reduce((n, r) => n + r.failed, 0),
    };
  });
  const plainUs = summary.find((s) => s.name === 'plain node forwarder')?.usPerReq;
  const verifyInServerUs = med(
    rows.filter((r) => r.name === 'dfsp-sidecar inbound' && !r.lowLoad).map((r) => {
      const off = rows.find((x) => x.name === 'dfsp-sidecar, verify off' && !x.lowLoad && x.round === r.round);
      return off?.proxyUsPerReq !== undefined && r.proxyUsPerReq !== undefined ? r.proxyUsPerReq - off.proxyUsPerReq : undefined;
    }),
  ) ?? NaN;
  const nginxUs = summary.find((s) => s.name.startsWith('nginx'))?.usPerReq;
  // Ratios per round (slices adjacent in time), then the median: steadier than a ratio of medians.
  const paired = (name, baseline) =>
    round3(med(rows.filter((r) => r.name === name && !r.lowLoad).map((r) => {
      const b = rows.find((x) => x.name === baseline && !x.lowLoad && x.round === r.round);
      return b?.proxyUsPerReq && r.proxyUsPerReq ? r.proxyUsPerReq / b.proxyUsPerReq : undefined;
    })));
  const nginxName = summary.find((s) => s.name.startsWith('nginx'))?.name;
  for (const s of summary) {
    if (plainUs && s.usPerReq) s.vsPlain = paired(s.name, 'plain node forwarder');
    if (nginxUs && s.usPerReq && nginxName) s.vsNginx = paired(s.name, nginxName);
  }

  const result = {
    when: new Date().toISOString(),
    node: process.version,
    nginx: nginxVersion?.trim(),
    seconds: SECONDS,
    lowLoadSeconds: LAT_SECONDS,
    rounds: ROUNDS,
    lowLoadRounds: LAT_ROUNDS,
    connections: CONNECTIONS,
    body: `${signed.body.length} bytes, POST /quotes, RS256 over the raw bytes`,
    target: { usPerReqVsPlain: 1.3 },
    summary,
    sidecarHistograms: { sidecarSeconds: sidecarOwn, coreSeconds: coreOwn },
    rawCryptoVerifyUs: rawVerifyUs,
    verifyInServerUs: Number.isFinite(verifyInServerUs) ? verifyInServerUs : undefined,
    rows,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const out = join(root, 'bench/results', `inbound-${result.when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  const fmt = (v, d = 0) => (v === undefined ? '–' : typeof v === 'number' ? v.toFixed(d) : String(v));
  const lines = [
    `| scenario | req/s median [slices] | p50 ms | p99 ms | proxy CPU % | proxy µs CPU/req median [slices] | × plain (paired) | × nginx (paired) | low-load p50 ms | added p50 / p99 ms | failed |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.name} | **${fmt(s.rps)}** [${s.rpsRuns.join(', ')}] | ${fmt(s.p50ms, 2)} | ${fmt(s.p99ms, 2)} | ${fmt(s.proxyCpuPct)} | **${fmt(s.usPerReq)}** [${s.usPerReqRuns.map((x) => fmt(x)).join(', ')}] | ${fmt(s.vsPlain, 2)} | ${fmt(s.vsNginx, 2)} | ${fmt(s.lowLoadP50ms, 3)} | ${fmt(s.addedP50ms, 3)} / ${fmt(s.addedP99ms, 3)} | ${s.failed} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  process.stdout.write(
    `sidecar's own histograms over the whole run (upper bucket bounds): time in the sidecar p50 ≤ ${fmt(sidecarOwn.p50 * 1e3, 3)} ms, p99 ≤ ${fmt(sidecarOwn.p99 * 1e3, 3)} ms; time in the core p50 ≤ ${fmt(coreOwn.p50 * 1e3, 3)} ms, p99 ≤ ${fmt(coreOwn.p99 * 1e3, 3)} ms\n`,
  );
  process.stdout.write(`raw crypto.verify RS256 (this process, same run): ${fmt(rawVerifyUs, 1)} µs/op; the sidecar with verification minus without: ${fmt(Number.isFinite(verifyInServerUs) ? verifyInServerUs : undefined)} µs/req\n`);
  process.stdout.write(`results: ${out}\n`);
  await cleanup();
} catch (err) {
  process.stderr.write(`bench/inbound.mjs: ${err.stack ?? err}\n`);
  await cleanup();
  process.exit(1);
}

/** µs per raw crypto.verify of the request's signing input (the floor for verification). */
function measureRawVerify(privateKey, signedRequest) {
  const { protectedHeader, signature } = JSON.parse(signedRequest.headers['fspiop-signature']);
  const input = Buffer.from(`${protectedHeader}.${signedRequest.body.toString('base64url')}`);
  const sig = Buffer.from(signature, 'base64url');
  const key = createPublicKey(privateKey);
  for (let i = 0; i < 500; i++) verify('sha256', input, key, sig);
  const runs = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 500) {
      verify('sha256', input, key, sig);
      n++;
    }
    runs.push(((performance.now() - t0) * 1000) / n);
  }
  return runs.sort((a, b) => a - b)[1];
}

function round3(x) {
  return x === undefined ? undefined : Math.round(x * 1000) / 1000;
}

/** p50/p99 upper bounds from a Prometheus histogram (summed over label sets). */
function histogramQuantiles(text, name) {
  const buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    buckets.set(le, (buckets.get(le) ?? 0) + value);
  }
  const sorted = [...buckets.entries()].map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n]).sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  const q = (p) => sorted.find(([, n]) => n >= total * p)?.[0];
  return { count: total, p50: q(0.5), p99: q(0.99) };
}
