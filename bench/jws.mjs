/**
 * JWS hot-path benchmark: the sidecar's FSPIOP signer and verifier (built code from dist/) against,
 * in the same run, each group's cases interleaved in ~1 ms batches (bench/lib/measure.mjs):
 *   - the floor: raw node:crypto sign/verify on a KeyObject over the body bytes (what the targets
 *     are measured against), and over the prebuilt JWS signing input (the crypto a JWS cannot avoid);
 *   - jose 6 FlattenedSign / flattenedVerify (CryptoKey, one operation in flight);
 *   - @mojaloop/sdk-standard-components 19.19.1 JwsSigner.sign / JwsValidator.validate, called the
 *     way the SDK's request layer and inbound middleware call them (object body, PEM keys).
 * RSA-2048 (RS256) and P-256 (ES256); a ~1.2 KB POST /quotes and a ~10 KB POST /bulkQuotes body.
 *
 * What "sign" includes for us: canonicalising the core's insertion-order JSON, the date/URI headers,
 * the protected header and the signature (signRequest end to end). "verify" is verifyRequest on a
 * message whose raw bytes verify; the "sorted fallback" row is a message signed over the sorted
 * re-serialisation but delivered in insertion order (one failed RSA verify, a JSON.parse, a second
 * verify) and is informational.
 *
 * Targets (issue #4): sign ≥ 0.9× raw crypto.sign; verify (raw match) ≥ 0.8× raw crypto.verify;
 * ≥ 4× the SDK signer; ≥ 8× the SDK validator.
 *
 * Figures are CPU time of this process (the dev box is shared), p10 of per-batch µs/op; ratios
 * use those. Measures production code only: no test doubles, no metrics.
 *
 * Env: JWS_BENCH_QUICK=1 (short rounds, ~15 s; also when BENCH_SECONDS < 5), JWS_BENCH_MS (per
 * case per round, default 200), JWS_BENCH_ROUNDS or BENCH_ROUNDS (default 5), JWS_BENCH_DIST (built
 * code, default ../dist/). About a minute.
 * Output: a table on stdout, JSON in bench/results/jws-<timestamp>.json (git-ignored).
 */
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as jose from 'jose';
import { bulkQuoteBody, quoteBody } from './lib/fspiop-bodies.mjs';
import { measureGroup } from './lib/measure.mjs';

// bench/run.mjs passes BENCH_ROUNDS / BENCH_SECONDS to every scenario: a short BENCH_SECONDS asks
// for a quick pass here too.
const quick = process.env.JWS_BENCH_QUICK === '1' || (process.env.BENCH_SECONDS !== undefined && Number(process.env.BENCH_SECONDS) < 5);
const ROUND_MS = Number(process.env.JWS_BENCH_MS ?? (quick ? 60 : 200));
const ROUNDS = Number(process.env.JWS_BENCH_ROUNDS ?? process.env.BENCH_ROUNDS ?? (quick ? 3 : 5));
const WARMUP_MS = quick ? 40 : 150;
const distUrl = process.env.JWS_BENCH_DIST ? pathToFileURL(`${process.env.JWS_BENCH_DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const { signRequest, verifyRequest, loadSigningKey, buildPeerKeySet, createVerifyPolicy } = await import(new URL('crypto/jws/index.js', distUrl).href);

const require = createRequire(import.meta.url);
const sdk = require('mojaloop-sdk-latest/src/lib/jws/index.js');
const sdkVersion = require('mojaloop-sdk-latest/package.json').version;
const silent = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, isDebugEnabled: false };

const DATE = 'Tue, 05 Nov 2024 10:00:00 GMT';
const SOURCE = 'payerfsp';
const DESTINATION = 'payeefsp';

function keyMaterial(alg) {
  const pair = alg === 'RS256' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // SEC1 for EC: the SDK signer picks ES256 only for `BEGIN EC PRIVATE KEY`.
  const privatePem = pair.privateKey.export({ type: alg === 'RS256' ? 'pkcs1' : 'sec1', format: 'pem' });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' });
  return { ...pair, privatePem, publicPem, signKey: pair.privateKey, verifyKey: pair.publicKey };
}

function protectedHeaderObject(alg, uri) {
  return { alg, 'FSPIOP-URI': uri, 'FSPIOP-HTTP-Method': 'POST', 'FSPIOP-Source': SOURCE, 'FSPIOP-Destination': DESTINATION, Date: DATE };
}

async function groupsFor(alg, sizeName, body) {
  const km = keyMaterial(alg);
  const uri = body.uri;
  const coreBytes = Buffer.from(JSON.stringify(body.obj)); // insertion order, as a core sends it
  const key = loadSigningKey(km.privatePem);
  const keySet = buildPeerKeySet({ files: new Map([[`${SOURCE}.pem`, { hash: 'bench', bytes: Buffer.from(km.publicPem), readError: undefined }]]), digest: 'bench' }).keySet;
  const policy = createVerifyPolicy();
  const coreHeaders = { date: DATE, 'fspiop-destination': DESTINATION };
  const signInput = { method: 'POST', path: uri, headers: coreHeaders, body: coreBytes, source: SOURCE, key };

  const ours = signRequest(signInput);
  const verifyInput = { method: 'POST', path: uri, headers: ours.headers, body: ours.body };
  const check = verifyRequest(verifyInput, keySet, policy);
  if (!check.ok || check.matched !== 'raw') throw new Error(`bench setup: own signature did not verify raw: ${JSON.stringify(check)}`);

  // The floor operates on the bytes actually sent (canonical body) and on the full signing input.
  const sent = ours.body;
  const { protectedHeader } = JSON.parse(ours.headers['fspiop-signature']);
  const jwsInput = Buffer.from(`${protectedHeader}.${sent.toString('base64url')}`);
  const hash = 'sha256';
  const sigOverBody = crypto.sign(hash, sent, km.signKey);
  const sigOverInput = crypto.sign(hash, jwsInput, km.signKey);

  const joseAlg = alg;
  const josePriv = await jose.importPKCS8(km.privateKey.export({ type: 'pkcs8', format: 'pem' }), joseAlg);
  const josePub = await jose.importSPKI(km.publicPem, joseAlg);
  const joseHeader = protectedHeaderObject(alg, uri);
  const joseJws = await new jose.FlattenedSign(sent).setProtectedHeader(joseHeader).sign(josePriv);
  const joseB64 = sent.toString('base64url');
  await jose.flattenedVerify({ protected: joseJws.protected, signature: joseJws.signature, payload: joseB64 }, josePub);

  const signer = new sdk.signer({ signingKey: km.privatePem, logger: silent });
  const validator = new sdk.validator({ validationKeys: { [SOURCE]: km.publicPem }, logger: silent });
  const sdkRequest = () => ({ method: 'POST', uri: `http://hub.local:4000${uri}`, headers: { ...coreHeaders, 'fspiop-source': SOURCE }, body: body.obj });
  const sdkSigned = sdkRequest();
  signer.sign(sdkSigned);
  const sdkInbound = { headers: sdkSigned.headers, body: body.obj };
  validator.validate(sdkInbound);

  // Signed over the sorted form, delivered in insertion order: raw fails, sorted matches.
  const fallbackInput = { method: 'POST', path: uri, headers: sdkSigned.headers, body: coreBytes };
  const fb = verifyRequest(fallbackInput, keySet, policy);
  if (!fb.ok || fb.matched !== 'sorted') throw new Error(`bench setup: fallback case did not match sorted: ${JSON.stringify(fb)}`);

  const label = `${alg} ${sizeName}`;
  return [
    {
      kind: 'sign',
      label,
      bytes: coreBytes.length,
      cases: [
        { id: 'floor', name: 'raw crypto.sign (body bytes)', fn: () => crypto.sign(hash, sent, km.signKey) },
        { id: 'floor-input', name: 'raw crypto.sign (JWS signing input)', fn: () => crypto.sign(hash, jwsInput, km.signKey) },
        { id: 'ours', name: 'sidecar signRequest', fn: () => signRequest(signInput) },
        { id: 'jose', name: 'jose FlattenedSign', async: true, fn: () => new jose.FlattenedSign(sent).setProtectedHeader(joseHeader).sign(josePriv) },
        { id: 'sdk', name: `SDK ${sdkVersion} JwsSigner.sign`, fn: () => signer.sign(sdkRequest()) },
      ],
    },
    {
      kind: 'verify',
      label,
      bytes: coreBytes.length,
      cases: [
        { id: 'floor', name: 'raw crypto.verify (body bytes)', fn: () => crypto.verify(hash, sent, km.verifyKey, sigOverBody) },
        { id: 'floor-input', name: 'raw crypto.verify (JWS signing input)', fn: () => crypto.verify(hash, jwsInput, km.verifyKey, sigOverInput) },
        { id: 'ours', name: 'sidecar verifyRequest (raw match)', fn: () => verifyRequest(verifyInput, keySet, policy) },
        { id: 'ours-sorted', name: 'sidecar verifyRequest (sorted fallback)', fn: () => verifyRequest(fallbackInput, keySet, policy) },
        { id: 'jose', name: 'jose flattenedVerify', async: true, fn: () => jose.flattenedVerify({ protected: joseJws.protected, signature: joseJws.signature, payload: joseB64 }, josePub) },
        { id: 'sdk', name: `SDK ${sdkVersion} JwsValidator.validate`, fn: () => validator.validate(sdkInbound) },
      ],
    },
  ];
}

const TARGETS = {
  sign: [
    { what: 'sidecar / raw crypto.sign', num: 'ours', den: 'floor', min: 0.9 },
    { what: 'sidecar / SDK signer', num: 'ours', den: 'sdk', min: 4 },
  ],
  verify: [
    { what: 'sidecar / raw crypto.verify', num: 'ours', den: 'floor', min: 0.8 },
    { what: 'sidecar / SDK validator', num: 'ours', den: 'sdk', min: 8 },
  ],
};

const fmt = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const started = Date.now();
const bodies = [
  ['1KB', { uri: '/quotes', obj: quoteBody() }],
  ['10KB', { uri: '/bulkQuotes', obj: bulkQuoteBody() }],
];
const groups = [];
for (const alg of ['RS256', 'ES256']) for (const [sizeName, body] of bodies) groups.push(...(await groupsFor(alg, sizeName, body)));

const results = [];
const lines = [];
lines.push(`JWS bench: node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, load ${os.loadavg()[0].toFixed(2)}, ${ROUNDS} rounds × ${ROUND_MS} ms per case, cases interleaved in ~1 ms batches`);
lines.push('µs/op = 10th percentile of per-batch CPU time (ops/s = its inverse; ratios use it); median ops/cpu-s = median round; wall = median round, wall clock');
for (const g of groups) {
  const measured = await measureGroup(g.cases, { rounds: ROUNDS, ms: ROUND_MS, warmupMs: WARMUP_MS });
  const byId = Object.fromEntries(g.cases.map((c, i) => [c.id, measured[i]]));
  const floor = byId.floor.opsPerSec;
  lines.push('');
  lines.push(`${g.kind} ${g.label} (core body ${fmt(g.bytes)} B)`);
  lines.push(`  ${'case'.padEnd(44)} ${'µs/op'.padStart(8)} ${'ops/s'.padStart(8)} ${'× floor'.padStart(8)} ${'median ops/cpu-s'.padStart(17)} ${'wall ops/s'.padStart(11)}`);
  for (const [i, c] of g.cases.entries()) {
    const m = measured[i];
    lines.push(`  ${c.name.padEnd(44)} ${fmt(m.usPerOp, 1).padStart(8)} ${fmt(m.opsPerSec).padStart(8)} ${fmt(m.opsPerSec / floor, 2).padStart(8)} ${fmt(m.medianOpsPerSec).padStart(17)} ${fmt(m.wallOpsPerSec).padStart(11)}`);
  }
  const checks = TARGETS[g.kind].map((t) => {
    const ratio = byId[t.num].opsPerSec / byId[t.den].opsPerSec;
    // What raw node:crypto itself achieves on the same ratio: the ceiling for any implementation.
    const ceiling = byId.floor.opsPerSec / byId[t.den].opsPerSec;
    return { ...t, ratio, ceiling, pass: ratio >= t.min };
  });
  for (const c of checks) {
    const note = c.den === 'floor' ? '' : ` (raw crypto itself: ${fmt(c.ceiling, 2)}${c.ceiling < c.min ? ', so not reachable on this machine' : ''})`;
    lines.push(`  target ${c.what} ≥ ${c.min}: ${fmt(c.ratio, 2)} ${c.pass ? 'PASS' : 'MISS'}${note}`);
  }
  results.push({ kind: g.kind, label: g.label, bodyBytes: g.bytes, cases: g.cases.map((c, i) => ({ id: c.id, ...measured[i] })), targets: checks });
}
lines.push('');
lines.push(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.stdout.write(`${lines.join('\n')}\n`);

const outDir = new URL('./results/', import.meta.url);
mkdirSync(outDir, { recursive: true });
const file = new URL(`jws-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, outDir);
writeFileSync(file, `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverage: os.loadavg(), rounds: ROUNDS, roundMs: ROUND_MS, unit: 'usPerOp: p10 of per-batch CPU µs/op; opsPerSec = 1e6/usPerOp; medianOpsPerSec: median round, per CPU-second', sdkVersion, results }, null, 2)}\n`);
process.stdout.write(`results: ${file.pathname}\n`);
