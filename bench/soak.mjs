#!/usr/bin/env node
/**
 * `npm run soak`: minutes of mixed load and faults against the built sidecar (inbound and outbound
 * in one process, `node dist/cli.js run`), with a bare Node https server with requestCert as the
 * same-run control, everything on 127.0.0.1, bounded in time. What runs at once:
 *
 *   inbound keep-alive   signed POST /quotes over a few kept-alive mTLS connections     → 200
 *   inbound churn        a new mTLS connection per request (full handshake, GET, close),
 *                        the client presenting leaf + intermediate + root                → 200
 *                        the same churn against the bare control, at the same concurrency
 *   outbound             POST /quotes from the "core" to the outbound listener → hub     → 202
 *   core faults*         on their own connections: the core resets (502), answers too
 *                        late (504), or resets after sending 200 (the client is cut)
 *   slow clients*        TLS clients that stall in their headers or body (408) and TCP
 *                        clients that never start TLS (cut at the handshake timeout)
 *   reloads              SIGHUP every SOAK_RELOAD_SECONDS with a changed reloadable key;
 *                        every third one a broken config first (refused, kept serving)
 *   token faults*        the token endpoint answers 503 for 8 s every 30 s; tokens live
 *                        60 s and are refreshed every 15 s, so a valid token is always held
 *   (* injected faults: their requests are counted apart and checked against what they should get)
 *
 * Reported: requests by class and result; failed requests outside the injected faults (target 0);
 * RSS of the sidecar and of the control, sampled every second, with the least-squares slope after
 * warm-up in MB per minute and in MB per 1,000 new inbound connections (target ≈ 0: within
 * SOAK_RSS_TOLERANCE MB per 1,000 connections of the control's); open fds of the sidecar at start,
 * peak and after the clients closed (target: back to the start value). Exit code 1 when a target is
 * missed. Results: bench/results/soak-<time>.json and a summary on stdout; figures in docs/soak.md.
 *
 *   npm run soak                                   # 180 s
 *   SOAK_SECONDS=600 npm run soak                  # longer
 * Env: SOAK_SECONDS (180), SOAK_WARMUP_SECONDS (max(20, a fifth of the run)), SOAK_CHURN_CONCURRENCY (6),
 *      SOAK_RELOAD_SECONDS (10), SOAK_RSS_TOLERANCE (0.5 MB per 1,000 connections).
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { clientContext, oneConnection, openFds, rssMb, slope } from './lib/churn.mjs';
import { makeChurnPki } from './lib/churn-pki.mjs';
import { freePort, signedQuote, start, stop } from './lib/inbound-fixtures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const WARMUP_S = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.max(20, Math.round(SECONDS / 5)));
const CHURN_CONCURRENCY = Number(process.env.SOAK_CHURN_CONCURRENCY ?? 6);
const RELOAD_S = Number(process.env.SOAK_RELOAD_SECONDS ?? 10);
const RSS_TOLERANCE = Number(process.env.SOAK_RSS_TOLERANCE ?? 0.5);
const TOKEN_FAULT = { everyS: 30, forS: 8 };

if (!existsSync(join(dist, 'cli.js'))) {
  process.stderr.write('bench/soak.mjs: build first (npm run build)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'soak-'));
const children = [];
const cleanup = async () => {
  for (const c of children.reverse()) await stop(c);
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** Per class: counts by result, and the first few unexpected ones. */
const stats = {};
function record(cls, result, expected) {
  const s = (stats[cls] ??= { total: 0, results: {}, unexpected: 0, examples: [] });
  s.total++;
  s.results[result] = (s.results[result] ?? 0) + 1;
  if (!expected) {
    s.unexpected++;
    if (s.examples.length < 5) s.examples.push({ at: elapsedS(), result });
  }
}
let t0 = 0;
const elapsedS = () => Math.round((performance.now() - t0) / 100) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  const pki = await makeChurnPki(dist, dir);
  const chain = pki.clients['leaf+intermediate+root'];
  const jws = generateKeyPairSync('rsa', { modulusLength: 2048 });
  mkdirSync(join(dir, 'peers'));
  writeFileSync(join(dir, 'peers', 'payerfsp.pem'), jws.publicKey.export({ type: 'spki', format: 'pem' }));
  const files = {
    jwsKey: join(dir, 'jws.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    secret: join(dir, 'oauth.secret'),
  };
  writeFileSync(files.jwsKey, jws.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // Outbound: our client certificate towards the hub (leaf + root; the hub trusts the root).
  writeFileSync(files.clientCert, pki.clients['leaf+ca'].cert);
  writeFileSync(files.clientKey, pki.clients['leaf+ca'].key, { mode: 0o600 });
  writeFileSync(files.secret, 'soak-secret', { mode: 0o600 });

  const peersCfg = join(dir, 'peers.json');
  writeFileSync(peersCfg, JSON.stringify({ certPem: readFileSync(pki.files.serverCert, 'utf8'), keyPem: readFileSync(pki.files.serverKey, 'utf8'), caPem: pki.rootPem, tokenTtl: 60 }));
  const peers = await startJson(join(root, 'bench/lib/soak-peers.mjs'), peersCfg);
  children.push(peers.child);
  const { corePort, hubPort, tokenPort, controlPort } = peers.info;

  const [inPort, outPort, adminPort, controlHttpsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const configFile = join(dir, 'sidecar.yaml');
  const config = (bodyLimitBytes) => `dfspId: dfspa
log: { level: info }
admin: { host: 127.0.0.1, port: ${adminPort} }
reload: { pollIntervalMs: 0 }
jws: { keysDirectory: ${join(dir, 'peers')}, verify: true, sign: true, signingKeyFile: ${files.jwsKey} }
inbound:
  host: 127.0.0.1
  port: ${inPort}
  headersTimeoutMs: 2000
  requestTimeoutMs: 4000
  bodyLimitBytes: ${bodyLimitBytes}
  tls: { certFile: ${pki.files.serverCert}, keyFile: ${pki.files.serverKey}, caFiles: [${pki.files.ca}], peerIdentity: { subjectCn: [hub-client] } }
  allowlist: [127.0.0.1/32]
  core: { url: "http://127.0.0.1:${corePort}", connections: 16, timeoutMs: 1000 }
outbound:
  host: 127.0.0.1
  port: ${outPort}
  tls: { caFiles: [${pki.files.ca}], certFile: ${files.clientCert}, keyFile: ${files.clientKey} }
  hub: { default: "https://127.0.0.1:${hubPort}", connections: 16 }
  oauth:
    tokenEndpoint: https://127.0.0.1:${tokenPort}/token
    clientKey: dfspa
    refreshSeconds: 15
    marginSeconds: 20
    refreshRetrySeconds: 1
    maxRetrySeconds: 4
`;
  writeFileSync(configFile, config(1_048_576));
  // The token endpoint's certificate is the hub's (same root): trusted through NODE_EXTRA_CA_CERTS.
  const sidecar = await start(process.execPath, [join(dist, 'cli.js'), 'run', '--config', configFile], (o) => o.includes('dfsp-sidecar started') || o.includes('"level":60'), {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.files.ca, DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE: files.secret },
  });
  children.push(sidecar);
  const control = await start(process.execPath, [join(root, 'bench/lib/mtls-control.mjs'), String(controlHttpsPort), pki.files.serverCert, pki.files.serverKey, pki.files.ca, 'bare'], (o) => o.includes('ready'));
  children.push(control);

  const secureContext = clientContext({ ...chain, ca: pki.rootPem });
  const tlsOpts = { ca: pki.rootPem, cert: chain.cert, key: chain.key };
  const inboundPool = new Pool(`https://127.0.0.1:${inPort}`, { connections: 4, pipelining: 1, connect: { ...tlsOpts, servername: 'localhost' } });
  const outboundPool = new Pool(`http://127.0.0.1:${outPort}`, { connections: 4, pipelining: 1 });
  const getRequest = (path) =>
    `GET ${path} HTTP/1.1\r\nhost: localhost\r\naccept: application/vnd.interoperability.parties+json;version=1.1\r\n` +
    `date: ${new Date().toUTCString()}\r\nfspiop-source: payerfsp\r\nfspiop-destination: dfspa\r\nconnection: close\r\n\r\n`;

  const samples = [];
  const conns = { sidecar: 0, control: 0 };
  const fdsStart = openFds(sidecar.pid);
  const rssStart = { sidecar: rssMb(sidecar.pid), control: rssMb(control.pid) };
  let stopping = false;
  let reloads = { good: 0, broken: 0 };
  let tokenFaultWindows = 0;
  t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  const running = () => !stopping && performance.now() < end;
  process.stderr.write(`soak: ${SECONDS} s (warm-up ${WARMUP_S} s), sidecar pid ${sidecar.pid}, control pid ${control.pid}\n`);

  const loops = [];
  // Inbound keep-alive: signed quotes, 4 in flight.
  for (let i = 0; i < 4; i++) {
    loops.push(
      (async () => {
        while (running()) {
          const q = signedQuote(jws.privateKey);
          try {
            const r = await inboundPool.request({ method: 'POST', path: '/quotes', headers: q.headers, body: q.body });
            await r.body.text();
            record('inbound keep-alive', String(r.statusCode), r.statusCode === 200);
          } catch (e) {
            record('inbound keep-alive', e.code ?? e.message, false);
          }
        }
      })(),
    );
  }
  // Inbound churn against the sidecar and, at the same concurrency, the bare control.
  for (const [target, port] of [['sidecar', inPort], ['control', controlHttpsPort]]) {
    for (let i = 0; i < CHURN_CONCURRENCY; i++) {
      loops.push(
        (async () => {
          while (running()) {
            const r = await oneConnection({ port, secureContext, request: getRequest('/parties/MSISDN/27713803912') });
            conns[target]++;
            record(`inbound churn (${target})`, r.status !== undefined ? String(r.status) : (r.error ?? 'no response'), r.status === 200);
          }
        })(),
      );
    }
  }
  // Outbound: the core's requests through the sidecar to the hub.
  const quoteBody = JSON.stringify(JSON.parse(signedQuote(jws.privateKey).body.toString()));
  for (let i = 0; i < 4; i++) {
    loops.push(
      (async () => {
        while (running()) {
          try {
            const r = await outboundPool.request({
              method: 'POST',
              path: '/quotes',
              headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1', accept: 'application/vnd.interoperability.quotes+json;version=1', 'fspiop-destination': 'payeefsp', date: new Date().toUTCString() },
              body: quoteBody,
            });
            await r.body.text();
            record('outbound', String(r.statusCode), r.statusCode === 202);
          } catch (e) {
            record('outbound', e.code ?? e.message, false);
          }
        }
      })(),
    );
  }
  // Core faults, each on its own connection, one every 200 ms.
  loops.push(
    (async () => {
      const kinds = [['fault-reset', '502'], ['fault-slow', '504'], ['fault-midway', 'cut']];
      let n = 0;
      while (running()) {
        const [kind, want] = kinds[n++ % kinds.length];
        const r = await oneConnection({ port: inPort, secureContext, request: getRequest(`/parties/MSISDN/${kind}`), readAll: true });
        // fault-midway: the status line arrived, then the connection was cut before the body ended.
        const got = kind === 'fault-midway' ? (r.status === 200 && !r.complete ? 'cut' : String(r.status ?? r.error)) : String(r.status ?? r.error);
        record(`core fault ${kind}`, got, got === want);
        await sleep(200);
      }
    })(),
  );
  // Slow clients: stalled headers, stalled body (408 each), and TCP clients that never start TLS.
  loops.push(
    (async () => {
      while (running()) {
        const batch = [
          slowTls(inPort, secureContext, 'POST /quotes HTTP/1.1\r\nhost: x\r\n').then((r) => record('slow client (headers)', r, r === '408')),
          slowTls(inPort, secureContext, 'PUT /transfers/1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":').then((r) => record('slow client (body)', r, r === '408')),
          silentTcp(inPort).then((r) => record('silent TCP client', r, r === 'closed')),
        ];
        await Promise.all(batch);
      }
    })(),
  );
  // Reloads: a changed reloadable key each time; every third, a broken file first.
  loops.push(
    (async () => {
      let n = 0;
      while (running()) {
        await sleep(RELOAD_S * 1000);
        if (!running()) break;
        n++;
        if (n % 3 === 0) {
          writeFileSync(configFile, 'dfspId: [unterminated\n');
          process.kill(sidecar.pid, 'SIGHUP');
          reloads.broken++;
          await sleep(1_000);
        }
        writeFileSync(configFile, config(1_048_576 + (n % 2)));
        process.kill(sidecar.pid, 'SIGHUP');
        reloads.good++;
      }
    })(),
  );
  // Token endpoint faults.
  loops.push(
    (async () => {
      while (running()) {
        await sleep((TOKEN_FAULT.everyS - TOKEN_FAULT.forS) * 1000);
        if (!running()) break;
        await fetch(`http://127.0.0.1:${controlPort}/control/token-fault?on=1`);
        tokenFaultWindows++;
        await sleep(TOKEN_FAULT.forS * 1000);
        await fetch(`http://127.0.0.1:${controlPort}/control/token-fault?on=0`);
      }
    })(),
  );
  // Sampling: RSS of both servers and the sidecar's fds, every second.
  const sampler = (async () => {
    while (running()) {
      samples.push({ t: elapsedS(), sidecarRssMb: rssMb(sidecar.pid), controlRssMb: rssMb(control.pid), sidecarFds: openFds(sidecar.pid), sidecarConns: conns.sidecar, controlConns: conns.control });
      if (samples.length % 30 === 0) {
        const s = samples.at(-1);
        process.stderr.write(`${s.t} s: sidecar ${s.sidecarRssMb.toFixed(1)} MB, ${s.sidecarFds} fds, ${s.sidecarConns} new conns; control ${s.controlRssMb.toFixed(1)} MB, ${s.controlConns} new conns\n`);
      }
      await sleep(1_000);
    }
  })();
  await Promise.all([...loops, sampler]);
  await fetch(`http://127.0.0.1:${controlPort}/control/token-fault?on=0`);

  // Clients gone: the sidecar's fds must come back to where they started (its own keep-alive
  // connections to core and hub close after their idle timeouts).
  await inboundPool.close();
  await outboundPool.close();
  let fdsEnd = openFds(sidecar.pid);
  const fdDeadline = performance.now() + 30_000;
  while (fdsEnd > fdsStart && performance.now() < fdDeadline) {
    await sleep(500);
    fdsEnd = openFds(sidecar.pid);
  }
  const metricsText = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();

  const after = samples.filter((s) => s.t >= WARMUP_S);
  const perMin = (key) => slope(after.map((s) => s.t / 60), after.map((s) => s[key]));
  const perKConn = (key, conn) => slope(after.map((s) => s[conn] / 1000), after.map((s) => s[key]));
  const warm = after[0] ?? samples[0];
  const last = samples.at(-1);
  const rss = {
    sidecar: { startMb: r1(rssStart.sidecar), afterWarmupMb: r1(warm.sidecarRssMb), endMb: r1(last.sidecarRssMb), maxMb: r1(Math.max(...samples.map((s) => s.sidecarRssMb))), slopeMbPerMin: r3(perMin('sidecarRssMb')), slopeMbPer1000Conns: r3(perKConn('sidecarRssMb', 'sidecarConns')), newConnections: conns.sidecar },
    control: { startMb: r1(rssStart.control), afterWarmupMb: r1(warm.controlRssMb), endMb: r1(last.controlRssMb), maxMb: r1(Math.max(...samples.map((s) => s.controlRssMb))), slopeMbPerMin: r3(perMin('controlRssMb')), slopeMbPer1000Conns: r3(perKConn('controlRssMb', 'controlConns')), newConnections: conns.control },
  };
  const fds = { start: fdsStart, peak: Math.max(...samples.map((s) => s.sidecarFds)), end: fdsEnd };
  const injected = (cls) => cls.startsWith('core fault') || cls.startsWith('slow client') || cls.startsWith('silent');
  const failedOutsideFaults = Object.entries(stats).filter(([cls]) => !injected(cls)).reduce((n, [, s]) => n + s.unexpected, 0);
  const injectedUnexpected = Object.entries(stats).filter(([cls]) => injected(cls)).reduce((n, [, s]) => n + s.unexpected, 0);
  const targets = {
    failedOutsideFaults: { value: failedOutsideFaults, target: 0, met: failedOutsideFaults === 0 },
    injectedFaultsAnsweredAsExpected: { unexpected: injectedUnexpected, met: injectedUnexpected === 0 },
    rssSlope: { sidecar: rss.sidecar.slopeMbPer1000Conns, control: rss.control.slopeMbPer1000Conns, tolerance: RSS_TOLERANCE, met: rss.sidecar.slopeMbPer1000Conns <= Math.max(0, rss.control.slopeMbPer1000Conns) + RSS_TOLERANCE },
    fdsBackToStart: { ...fds, met: fds.end <= fds.start },
  };
  const sidecarCounts = pickMetrics(metricsText, [
    'dfsp_sidecar_inbound_requests_total',
    'dfsp_sidecar_inbound_tls_handshake_failures_total',
    'dfsp_sidecar_outbound_requests_total',
    'dfsp_sidecar_reloads_total',
    'dfsp_sidecar_outbound_token_refreshes_total',
  ]);
  const out = { date: new Date().toISOString(), node: process.version, seconds: SECONDS, warmupSeconds: WARMUP_S, churnConcurrency: CHURN_CONCURRENCY, reloads, tokenFaultWindows, stats, rss, fds, targets, sidecarCounts, samples };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, 'bench/results', `soak-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));

  const w = (s) => process.stdout.write(`${s}\n`);
  w(`\nsoak: ${SECONDS} s, Node ${process.version}, ${reloads.good} good + ${reloads.broken} broken reloads, ${tokenFaultWindows} token-endpoint outages of ${TOKEN_FAULT.forS} s`);
  w(`${'class'.padEnd(28)} ${'requests'.padStart(9)} ${'unexpected'.padStart(10)}  results`);
  for (const [cls, s] of Object.entries(stats)) w(`${cls.padEnd(28)} ${String(s.total).padStart(9)} ${String(s.unexpected).padStart(10)}  ${JSON.stringify(s.results)}${s.examples.length ? `  first: ${JSON.stringify(s.examples)}` : ''}`);
  w(`\nRSS (MB)        start  @warm-up    end    max   slope MB/min   MB/1k new conns   new conns`);
  for (const [name, r] of Object.entries(rss)) w(`${name.padEnd(14)} ${r.startMb.toFixed(1).padStart(6)} ${r.afterWarmupMb.toFixed(1).padStart(9)} ${r.endMb.toFixed(1).padStart(6)} ${r.maxMb.toFixed(1).padStart(6)} ${r.slopeMbPerMin.toFixed(3).padStart(14)} ${r.slopeMbPer1000Conns.toFixed(3).padStart(17)} ${String(r.newConnections).padStart(11)}`);
  w(`sidecar fds: start ${fds.start}, peak ${fds.peak}, after the clients closed ${fds.end}`);
  w(`\ntargets: ${Object.entries(targets).map(([k, v]) => `${k} ${v.met ? 'met' : 'MISSED'}`).join(', ')}`);
  w(`results: ${file}`);
  process.exitCode = Object.values(targets).every((t) => t.met) ? 0 : 1;
} finally {
  await cleanup();
}

/** A TLS client that sends `partial` and then nothing: what the sidecar answers, or how it ended. */
function slowTls(port, secureContext, partial) {
  return new Promise((resolve) => {
    let head = '';
    const s = tlsConnect({ host: '127.0.0.1', port, secureContext, servername: 'localhost' }, () => s.write(partial));
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d) => (head += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'closed without answer');
    });
  });
}

/** A TCP client that never starts TLS: the sidecar must cut it at the handshake timeout. */
function silentTcp(port) {
  return new Promise((resolve) => {
    let got = 0;
    const s = netConnect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d) => (got += d.length));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got === 0 ? 'closed' : `answered ${got} bytes`);
    });
  });
}

/** Spawn a script that prints one JSON line when ready. */
async function startJson(script, arg) {
  let info;
  const child = await start(process.execPath, [script, arg], (o) => {
    const line = o.split('\n').find((l) => l.startsWith('{'));
    if (line) info = JSON.parse(line);
    return info !== undefined;
  });
  return { child, info };
}

/** The samples of a few metrics from the Prometheus text, as { "name{labels}": value }. */
function pickMetrics(text, names) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const name = line.split(/[{ ]/)[0];
    if (!names.includes(name)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

function r1(x) {
  return Math.round(x * 10) / 10;
}
function r3(x) {
  return Math.round(x * 1000) / 1000;
}
