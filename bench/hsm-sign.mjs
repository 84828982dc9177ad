/**
 * Signing rate with the JWS key inside a PKCS#11 token (SoftHSM2, a software token: the floor of
 * what the PKCS#11 path costs; a network HSM adds its round trip) against the same kind of key in
 * process, per core, in the same run and interleaved (bench/lib/measure.mjs):
 *   - signRequest end to end (canonical body, headers, signature) with a file key and a token key;
 *   - the signature alone: crypto.sign on the JWS signing input vs C_SignInit + C_Sign in the token
 *     (RS256: CKM_SHA256_RSA_PKCS; ES256: SHA-256 here, then CKM_ECDSA).
 * RSA-2048 (RS256) and P-256 (ES256), a ~1.2 KB POST /quotes body. Figures are CPU µs per signature
 * of this process (SoftHSM2 runs inside it, so its work counts) and signatures per CPU-second, i.e.
 * per core; the sidecar spreads signing over cores with outbound.workers (one session per worker).
 *
 * Needs softhsm2 (Debian: apt-get install softhsm2) and the built code (npm run bench:hsm builds).
 * Env: HSM_BENCH_MS (per case per round, default 300), HSM_BENCH_ROUNDS or BENCH_ROUNDS (default 5),
 * BENCH_SECONDS < 5 for a quick pass. Output: a table, and JSON in bench/results/hsm-sign-<timestamp>.json.
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { quoteBody } from './lib/fspiop-bodies.mjs';
import { measureGroup } from './lib/measure.mjs';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
if (!existsSync(MODULE)) {
  process.stderr.write(`bench/hsm-sign.mjs needs SoftHSM2 (${MODULE}): apt-get install -y softhsm2\n`);
  process.exit(2);
}
const quick = process.env.BENCH_SECONDS !== undefined && Number(process.env.BENCH_SECONDS) < 5;
const ROUND_MS = Number(process.env.HSM_BENCH_MS ?? (quick ? 80 : 300));
const ROUNDS = Number(process.env.HSM_BENCH_ROUNDS ?? process.env.BENCH_ROUNDS ?? (quick ? 3 : 5));
const WARMUP_MS = quick ? 40 : 150;

// A token of our own in a temporary directory; the module reads SOFTHSM2_CONF when it initialises.
const dir = mkdtempSync(join(os.tmpdir(), 'hsm-bench-'));
mkdirSync(join(dir, 'tokens'));
writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
const LABEL = 'bench';
const PIN = '246810';
execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', '135791'], { stdio: 'pipe' });

const dist = new URL('../dist/', import.meta.url);
const { signRequest, loadSigningKey, spkiFingerprint } = await import(new URL('crypto/jws/index.js', dist).href);
const { closeAllTokens, generateTokenKey, moduleEpoch, openTokenKey, tokenSign } = await import(new URL('crypto/pkcs11/token.js', dist).href);

const body = Buffer.from(JSON.stringify(quoteBody()));
const DATE = 'Tue, 05 Nov 2024 10:00:00 GMT';
const results = [];
try {
  for (const alg of ['RS256', 'ES256']) {
    const pair = alg === 'RS256' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fileKey = loadSigningKey(pair.privateKey.export({ type: alg === 'RS256' ? 'pkcs1' : 'sec1', format: 'pem' }));
    const base = { module: MODULE, tokenLabel: LABEL, slot: undefined, serial: undefined, keyLabel: `bench-${alg}`, keyId: Buffer.from(`bench-${alg}`).toString('hex'), pin: PIN };
    generateTokenKey(base, alg);
    const ref = { ...base, epoch: moduleEpoch(MODULE) };
    const info = openTokenKey(ref);
    const tokenKey = { kind: 'pkcs11', ref, alg, publicKey: info.publicKey, fingerprint: spkiFingerprint(info.publicKey) };
    const job = (key) => () => signRequest({ method: 'POST', path: '/quotes', headers: { date: DATE }, destination: 'payeefsp', body, source: 'payerfsp', key });
    // The JWS signing input of that request, for the signature-only rows.
    const signed = job(fileKey)();
    const sig = JSON.parse(signed.headers['fspiop-signature']);
    const input = Buffer.from(`${sig.protectedHeader}.${signed.body.toString('base64url')}`);
    // Both paths make verifiable signatures (checked before measuring, not inside the loop).
    if (!crypto.verify('sha256', input, alg === 'ES256' ? { key: info.publicKey, dsaEncoding: 'ieee-p1363' } : info.publicKey, tokenSign(ref, alg, input))) throw new Error(`${alg}: token signature does not verify`);
    const measured = await measureGroup(
      [
        { name: 'in-process key: signRequest', fn: job(fileKey) },
        { name: 'token key (SoftHSM2): signRequest', fn: job(tokenKey) },
        { name: 'in-process: crypto.sign over the JWS input', fn: () => crypto.sign('sha256', input, pair.privateKey) },
        { name: 'token: C_SignInit + C_Sign over the JWS input', fn: () => tokenSign(ref, alg, input) },
      ],
      { rounds: ROUNDS, ms: ROUND_MS, warmupMs: WARMUP_MS },
    );
    results.push({ alg, cases: measured });
  }
} finally {
  closeAllTokens();
  rmSync(dir, { recursive: true, force: true });
}

const rows = [];
for (const r of results) {
  const baseline = r.cases[0];
  const baseRaw = r.cases[2];
  for (const [i, c] of r.cases.entries()) {
    const ref = i < 2 ? baseline : baseRaw;
    rows.push({ alg: r.alg, case: c.name, 'CPU µs/sig': c.usPerOp.toFixed(1), 'sig/s per core': Math.round(c.opsPerSec), 'median sig/s per core': Math.round(c.medianOpsPerSec), 'vs in-process': `${(ref.usPerOp / c.usPerOp).toFixed(2)}×` });
  }
}
console.table(rows);
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
const file = new URL(`hsm-sign-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, out);
writeFileSync(file, `${JSON.stringify({ node: process.version, cpus: os.cpus()[0]?.model, cores: os.availableParallelism(), softhsm: MODULE, rounds: ROUNDS, roundMs: ROUND_MS, results }, null, 2)}\n`);
console.log(`JSON: ${file.pathname}`);
