/**
 * Memory under inbound connection churn (issue 11, finding 1): N new mTLS connections, each a full
 * handshake, one GET and close, against the sidecar (the built CLI) and a bare Node https server
 * with requestCert and the same certificates (the control), alternating in batches in the same
 * run. The client presents a chain made by our PKI toolkit (default leaf + intermediate + root, as
 * real hubs send). After each batch, the RSS of each server is sampled; reported are RSS after
 * warm-up, at the end, and the least-squares slope in MB per 1,000 connections after warm-up.
 *
 *   npm run build && node bench/mtls-churn.mjs                                 # 50,000 each, ~5 min
 *   CHURN_CONNECTIONS=10000 CHURN_CHAIN=leaf+ca node bench/mtls-churn.mjs
 * Env: CHURN_CONNECTIONS (per server, 50000), CHURN_WARMUP (connections not in the slope, 5000),
 *      CHURN_BATCH (connections per sample, 1000), CHURN_CONCURRENCY (16),
 *      CHURN_CHAIN (leaf | leaf+ca | leaf+intermediate+root), CHURN_KEY (rsa | ec),
 *      CHURN_PROBE=1 adds a third server: the control plus getPeerX509Certificate() per connection.
 * Loopback only. Results: bench/results/mtls-churn-<time>.json and a table on stdout.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churn, clientContext, rssMb, slope } from './lib/churn.mjs';
import { makeChurnPki } from './lib/churn-pki.mjs';
import { freePort, start, stop } from './lib/inbound-fixtures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const TOTAL = Number(process.env.CHURN_CONNECTIONS ?? 50_000);
const WARMUP = Number(process.env.CHURN_WARMUP ?? 5_000);
const BATCH = Number(process.env.CHURN_BATCH ?? 1_000);
const CONCURRENCY = Number(process.env.CHURN_CONCURRENCY ?? 16);
const CHAIN = process.env.CHURN_CHAIN ?? 'leaf+intermediate+root';
const KEY = process.env.CHURN_KEY ?? 'rsa';

const dir = mkdtempSync(join(tmpdir(), 'bench-churn-'));
const children = [];
const cleanup = async () => {
  for (const c of children.reverse()) await stop(c);
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const pki = await makeChurnPki(dist, dir, { keyType: KEY });
  const client = pki.clients[CHAIN];
  if (!client) throw new Error(`CHURN_CHAIN must be one of ${Object.keys(pki.clients).join(', ')}`);
  const secureContext = clientContext({ ...client, ca: pki.rootPem });

  const corePort = await freePort();
  children.push(await start(process.execPath, [join(root, 'bench/lib/inbound-core.mjs'), String(corePort)], (o) => o.includes('ready')));

  const targets = [];
  const sidecarPort = await freePort();
  mkdirSync(join(dir, 'peers'));
  const config = join(dir, 'sidecar.yaml');
  writeFileSync(
    config,
    `dfspId: dfspa
log: { level: info }
admin: { enabled: false }
reload: { pollIntervalMs: 0 }
jws: { keysDirectory: ${join(dir, 'peers')}, verify: false }
inbound:
  host: 127.0.0.1
  port: ${sidecarPort}
  tls: { certFile: ${pki.files.serverCert}, keyFile: ${pki.files.serverKey}, caFiles: [${pki.files.ca}], peerIdentity: { subjectCn: [hub-client] } }
  allowlist: [127.0.0.1/32]
  core: { url: "http://127.0.0.1:${corePort}", connections: 16 }
outbound: { enabled: false }
`,
  );
  const sidecar = await start(process.execPath, [join(dist, 'cli.js'), 'run', '--config', config], (o) => o.includes('dfsp-sidecar started'));
  children.push(sidecar);
  targets.push({ name: 'dfsp-sidecar inbound', port: sidecarPort, pid: sidecar.pid });

  const controlArgs = (port, mode) => [join(root, 'bench/lib/mtls-control.mjs'), String(port), pki.files.serverCert, pki.files.serverKey, pki.files.ca, mode];
  const controlPort = await freePort();
  const control = await start(process.execPath, controlArgs(controlPort, 'bare'), (o) => o.includes('ready'));
  children.push(control);
  targets.push({ name: 'bare node https (control)', port: controlPort, pid: control.pid });
  if (process.env.CHURN_PROBE === '1') {
    const probePort = await freePort();
    const probe = await start(process.execPath, controlArgs(probePort, 'peer-x509'), (o) => o.includes('ready'));
    children.push(probe);
    targets.push({ name: 'control + getPeerX509Certificate', port: probePort, pid: probe.pid });
  }

  const request = 'GET /parties/MSISDN/27713803912 HTTP/1.1\r\nhost: localhost\r\naccept: application/vnd.interoperability.parties+json;version=1.1\r\n' +
    `date: ${new Date().toUTCString()}\r\nfspiop-source: payerfsp\r\nfspiop-destination: dfspa\r\nconnection: close\r\n\r\n`;
  for (const t of targets) Object.assign(t, { samples: [], statuses: {}, errors: {}, done: 0, rssStart: rssMb(t.pid) });
  process.stderr.write(`chain ${CHAIN} (${KEY}), ${TOTAL} connections per server, batches of ${BATCH}, concurrency ${CONCURRENCY}\n`);
  const t0 = performance.now();
  while (targets.some((t) => t.done < TOTAL)) {
    for (const t of targets) {
      const n = Math.min(BATCH, TOTAL - t.done);
      const r = await churn({ count: n, concurrency: CONCURRENCY, port: t.port, secureContext, request });
      t.done += n;
      for (const [k, v] of Object.entries(r.statuses)) t.statuses[k] = (t.statuses[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
      t.samples.push({ connections: t.done, rssMb: rssMb(t.pid) });
    }
    if (targets[0].done % (BATCH * 10) === 0) {
      process.stderr.write(`${targets[0].done}: ${targets.map((t) => `${t.name} ${t.samples.at(-1).rssMb.toFixed(1)} MB`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  }
  const rows = targets.map((t) => {
    const after = t.samples.filter((s) => s.connections > WARMUP);
    const atWarm = t.samples.find((s) => s.connections >= WARMUP) ?? t.samples[0];
    return {
      name: t.name,
      connections: t.done,
      statuses: t.statuses,
      errors: t.errors,
      rssStartMb: round(t.rssStart),
      rssAfterWarmupMb: round(atWarm.rssMb),
      rssEndMb: round(t.samples.at(-1).rssMb),
      rssMaxMb: round(Math.max(...t.samples.map((s) => s.rssMb))),
      slopeMbPer1000: round(slope(after.map((s) => s.connections / 1000), after.map((s) => s.rssMb)), 3),
    };
  });
  const out = { date: new Date().toISOString(), node: process.version, chain: CHAIN, key: KEY, total: TOTAL, warmup: WARMUP, batch: BATCH, concurrency: CONCURRENCY, rows, samples: Object.fromEntries(targets.map((t) => [t.name, t.samples])) };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(root, 'bench/results', `mtls-churn-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  process.stdout.write(`\nchain ${CHAIN}, ${TOTAL} new mTLS connections per server (handshake + GET + close), Node ${process.version}\n`);
  process.stdout.write(`${'server'.padEnd(36)} ${'RSS start'.padStart(9)} ${'@warm-up'.padStart(9)} ${'end'.padStart(7)} ${'MB/1k conn'.padStart(11)}  statuses / errors\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(36)} ${r.rssStartMb.toFixed(1).padStart(9)} ${r.rssAfterWarmupMb.toFixed(1).padStart(9)} ${r.rssEndMb.toFixed(1).padStart(7)} ${r.slopeMbPer1000.toFixed(3).padStart(11)}  ${JSON.stringify(r.statuses)} ${JSON.stringify(r.errors)}\n`);
  }
  process.stdout.write(`results: ${file}\n`);
} finally {
  await cleanup();
}

function round(x, digits = 1) {
  return Number(x.toFixed(digits));
}
