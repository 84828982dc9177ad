/**
 * `dfsp-sidecar pki <sub>`: the certificate and key steps of joining a hub, for a laptop and for a
 * pipeline. Each subcommand parses its flags, calls the library in src/crypto/pki, writes files
 * with writeFilesSafe (atomic, 0600 keys, no overwrite without --force) and prints either text or,
 * with --json, one JSON document on stdout.
 *
 * Exit codes (src/cli/io.ts): 0 done; 1 refused by policy or a verification failed; 2 usage or
 * input error. Errors are caught here and printed as one line (or a JSON error document): bad input
 * never reaches the dispatcher's stack-trace path.
 */
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  POLICY_RULES,
  PkiInputError,
  PkiPolicyError,
  SCHEME_POLICY,
  buildKit,
  checkFspId,
  checkCsrPolicy,
  checkTargets,
  createCa,
  createCsr,
  createJwsKeys,
  createServerCert,
  ensureDir,
  formatCertificate,
  formatCsr,
  formatInspection,
  formatViolations,
  inspect,
  isPkiError,
  kitFileNames,
  parseCertificates,
  parseCsrPem,
  planCsrSigning,
  shortTime,
  signCsr,
  summariseCertificate,
  summariseCsr,
  withEc,
  writeFilesSafe,
  type CaMaterial,
  type Inspection,
  type KeyType,
  type KitInputFile,
  type OutputFile,
  type Violation,
} from '../crypto/pki/index.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type Command, type Io } from './io.js';

/** Largest file we read as a certificate, key or CSR; anything bigger is not one. */
const MAX_INPUT_BYTES = 1024 * 1024;

export interface PkiDeps {
  /**
   * Asks a yes/no question on the terminal and resolves to the answer, or to undefined when there is
   * no terminal to ask on (stdin is not a TTY): the command then refuses instead of hanging.
   */
  prompt?: (question: string) => Promise<string | undefined>;
}

interface Ctx {
  io: Io;
  json: boolean;
  deps: Required<PkiDeps>;
  /** Resolve a user-given path against the command's cwd. */
  path: (p: string) => string;
}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Sub {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  run: (values: Values, positionals: string[], ctx: Ctx) => Promise<number>;
}

const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

// ---------------------------------------------------------------------------------------------
// Flag helpers

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0) : [];
}

function int(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

function keyType(values: Values): KeyType {
  const v = str(values, 'key-type') ?? 'rsa';
  if (v !== 'rsa' && v !== 'ec') throw new UsageError(`--key-type must be rsa or ec, got '${v}'`);
  return v;
}

function profile(values: Values): 'client' | 'server' {
  const v = str(values, 'profile') ?? 'client';
  if (v !== 'client' && v !== 'server') throw new UsageError(`--profile must be client or server, got '${v}'`);
  return v;
}

async function readInput(ctx: Ctx, path: string, flag?: string): Promise<Buffer> {
  const label = flag ? `${flag} ${path}` : path;
  try {
    // Size and type first: /dev/zero or a FIFO would otherwise be read forever.
    const info = await stat(ctx.path(path));
    if (info.isDirectory()) throw new PkiInputError(`cannot read ${label}: is a directory`);
    if (!info.isFile()) throw new PkiInputError(`cannot read ${label}: not a regular file`);
    if (info.size > MAX_INPUT_BYTES) throw new PkiInputError(`${label} is ${info.size} bytes, too large to be a certificate, key or CSR`);
    return await readFile(ctx.path(path));
  } catch (err) {
    if (err instanceof PkiInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new PkiInputError(`cannot read ${label}: ${why}`);
  }
}

/** A passphrase file holds the passphrase, optionally followed by one newline. */
async function readPassphrase(ctx: Ctx, path: string, flag: string): Promise<string> {
  const text = (await readInput(ctx, path, flag)).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new PkiInputError(`${flag} ${path} is empty`);
  return text;
}

async function readCaDir(ctx: Ctx, values: Values): Promise<CaMaterial> {
  const dir = required(values, 'ca');
  const passFile = str(values, 'ca-passphrase-file');
  const passphrase = passFile !== undefined ? await readPassphrase(ctx, passFile, '--ca-passphrase-file') : undefined;
  const read = async (name: string): Promise<string> => {
    try {
      return (await readInput(ctx, join(dir, name), '--ca')).toString('utf8');
    } catch (err) {
      throw new PkiInputError(`${(err as Error).message} (a CA directory holds ca.key.pem and ca.cert.pem, as pki init-ca writes them)`);
    }
  };
  const keyPem = await read('ca.key.pem');
  return { keyPem, certPem: await read('ca.cert.pem'), ...(passphrase !== undefined ? { passphrase } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Output helpers

function emit(ctx: Ctx, doc: Record<string, unknown>, text: string): void {
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ ok: true, ...doc }, null, 2)}\n`);
  else ctx.io.stdout(text);
}

function warn(ctx: Ctx, warnings: readonly string[]): void {
  if (!ctx.json) for (const w of warnings) ctx.io.stderr(`warning: ${w}\n`);
}

/** An output file: `shown` is the path as the user typed it (for messages), resolved for writing. */
function target(ctx: Ctx, shown: string, data: string | Uint8Array, secret = false): OutputFile {
  return { path: ctx.path(shown), label: shown, data, secret };
}

function written(files: readonly OutputFile[]): string {
  return files.map((f) => `  ${(f.label ?? f.path).padEnd(28)} ${f.secret ? 'private, mode 0600' : 'mode 0644'}\n`).join('');
}

/** Paths of the files a command will write, checked before any key is generated. */
async function precheck(ctx: Ctx, shown: readonly string[], force: boolean): Promise<void> {
  await checkTargets(shown.map((p) => ({ path: ctx.path(p), label: p })), force);
}

function ecWarning(type: KeyType): string[] {
  return type === 'ec' ? ['EC keys do not meet the scheme rule (RSA >= 2048); use them only where the hub agreed to EC'] : [];
}

// ---------------------------------------------------------------------------------------------
// Subcommands

const initCa: Sub = {
  summary: 'create a root CA (key + self-signed certificate)',
  usage: `usage: dfsp-sidecar pki init-ca --out DIR --cn NAME --o ORG --c CC [options]

Creates a root CA: DIR/ca.key.pem (PKCS#8, mode 0600) and DIR/ca.cert.pem (basicConstraints
CA:TRUE critical, keyUsage keyCertSign+cRLSign critical, SKI/AKI, sha256WithRSAEncryption).

options:
  --out DIR          output directory (created 0700 if missing)
  --cn NAME          subject CN, e.g. "Example Bank DFSP CA"
  --o ORG            subject O
  --c CC             subject C, two-letter country code
  --ou UNIT          subject OU (optional)
  --key-type rsa|ec  default rsa (the scheme requires RSA)
  --key-size BITS    RSA bits, default 4096 (a root outlives its leaves); EC: 256 or 384
  --days N           validity, default ${DEFAULT_CA_DAYS}
  --path-length N    basicConstraints pathLenConstraint (default: none)
  --key-passphrase-file F   encrypt ca.key.pem (PKCS#8, AES-256-CBC) with the first line of F;
                     server-cert and sign-csr then need --ca-passphrase-file F
  --force            replace existing files
  --json             print a JSON document
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    cn: { type: 'string' },
    o: { type: 'string' },
    c: { type: 'string' },
    ou: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    'path-length': { type: 'string' },
    'key-passphrase-file': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const type = keyType(values);
    const keySize = int(values, 'key-size') ?? (type === 'rsa' ? 4096 : 256);
    const days = int(values, 'days');
    const pathLength = int(values, 'path-length');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const keyName = join(out, 'ca.key.pem');
    const certName = join(out, 'ca.cert.pem');
    const passFile = str(values, 'key-passphrase-file');
    const keyPassphrase = passFile !== undefined ? await readPassphrase(ctx, passFile, '--key-passphrase-file') : undefined;
    await precheck(ctx, [keyName, certName], force);
    const ca = await createCa({
      ...(keyPassphrase !== undefined ? { keyPassphrase } : {}),
      cn: required(values, 'cn'),
      o: required(values, 'o'),
      c: required(values, 'c'),
      ...(ou !== undefined ? { ou } : {}),
      keyType: type,
      keySize,
      ...(days !== undefined ? { days } : {}),
      ...(pathLength !== undefined ? { pathLength } : {}),
    });
    const files = [target(ctx, keyName, ca.keyPem, true), target(ctx, certName, ca.certPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = summariseCertificate(parseCertificates(ca.certPem)[0] ?? never());
    const warnings = ecWarning(type);
    warn(ctx, warnings);
    emit(
      ctx,
      { command: 'init-ca', files: { key: keyName, cert: certName }, certificate: cert, warnings },
      `created CA '${cert.subject}'\n${written(files)}${formatCertificate(cert)}` +
        `Keep ${keyName} offline; ${certName} is what the other side (hub or DFSP) needs to trust you.\n`,
    );
    return EXIT_OK;
  },
};

const serverCert: Sub = {
  summary: 'issue a TLS server certificate from our CA',
  usage: `usage: dfsp-sidecar pki server-cert --ca DIR --out DIR --cn HOST [--dns NAME]... [--ip ADDR]... [options]

Issues a server certificate signed by the CA in DIR (ca.key.pem + ca.cert.pem):
DIR/server.key.pem (PKCS#8, mode 0600), DIR/server.cert.pem, DIR/server.chain.pem (certificate
then CA: what the listener presents). EKU serverAuth, SANs from --dns/--ip (repeatable, or
comma-separated); with neither, the CN becomes the one DNS SAN. O and C default to the CA's.

options:
  --ca DIR           the CA directory (from init-ca)
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --out DIR          output directory
  --cn HOST          subject CN (the host name the hub connects to)
  --dns NAME         DNS SAN (repeatable)
  --ip ADDR          IP SAN (repeatable)
  --o ORG / --c CC / --ou UNIT   subject fields (default O and C: the CA's)
  --key-type rsa|ec  default rsa
  --key-size BITS    default 2048
  --days N           validity, default ${DEFAULT_LEAF_DAYS}
  --force            replace existing files
  --json             print a JSON document
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'ca-passphrase-file': { type: 'string' },
    out: { type: 'string' },
    cn: { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    o: { type: 'string' },
    c: { type: 'string' },
    ou: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const cn = required(values, 'cn');
    const ca = await readCaDir(ctx, values);
    const type = keyType(values);
    const keySize = int(values, 'key-size');
    const days = int(values, 'days');
    let dns = list(values, 'dns');
    const ip = list(values, 'ip');
    const warnings = ecWarning(type);
    if (dns.length === 0 && ip.length === 0) {
      dns = [cn];
      warnings.push(`no --dns or --ip given: using the CN as the only SAN (DNS:${cn})`);
    }
    const o = str(values, 'o');
    const c = str(values, 'c');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const [keyName, certName, chainName] = ['server.key.pem', 'server.cert.pem', 'server.chain.pem'].map((n) => join(out, n)) as [string, string, string];
    await precheck(ctx, [keyName, certName, chainName], force);
    const issued = await createServerCert({
      ca,
      cn,
      dns,
      ip,
      ...(o !== undefined ? { o } : {}),
      ...(c !== undefined ? { c } : {}),
      ...(ou !== undefined ? { ou } : {}),
      keyType: type,
      ...(keySize !== undefined ? { keySize } : {}),
      ...(days !== undefined ? { days } : {}),
    });
    const files = [target(ctx, keyName, issued.keyPem, true), target(ctx, certName, issued.certPem), target(ctx, chainName, issued.chainPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = summariseCertificate(parseCertificates(issued.certPem)[0] ?? never());
    warn(ctx, warnings);
    emit(
      ctx,
      { command: 'server-cert', files: { key: keyName, cert: certName, chain: chainName }, certificate: cert, warnings },
      `issued server certificate '${cert.subject}'\n${written(files)}${formatCertificate(cert)}`,
    );
    return EXIT_OK;
  },
};

const csr: Sub = {
  summary: 'create a client key and a CSR to send to the hub',
  usage: `usage: dfsp-sidecar pki csr --out DIR --cn NAME --o ORG --c CC [--dns NAME]... [options]

Creates a key and a certificate signing request whose subject has CN, O and C (scheme rule),
asking for clientAuth (or serverAuth with --profile server): DIR/client.key.pem (PKCS#8, mode 0600)
and DIR/client.csr.pem (server.key.pem / server.csr.pem with --profile server). The CSR is checked
against the scheme policy before it is written, as the hub will check it.

options:
  --out DIR          output directory
  --cn NAME          subject CN
  --o ORG            subject O
  --c CC             subject C, two-letter country code
  --ou UNIT          subject OU (optional)
  --dns NAME         DNS SAN to request (repeatable)
  --ip ADDR          IP SAN to request (repeatable)
  --profile client|server   default client
  --key-type rsa|ec  default rsa
  --key-size BITS    default 2048
  --force            replace existing files
  --json             print a JSON document
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    cn: { type: 'string' },
    o: { type: 'string' },
    c: { type: 'string' },
    ou: { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    profile: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const use = profile(values);
    const type = keyType(values);
    const keySize = int(values, 'key-size');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const [keyName, csrName] = [`${use}.key.pem`, `${use}.csr.pem`].map((n) => join(out, n)) as [string, string];
    await precheck(ctx, [keyName, csrName], force);
    const made = await createCsr({
      cn: required(values, 'cn'),
      o: required(values, 'o'),
      c: required(values, 'c'),
      ...(ou !== undefined ? { ou } : {}),
      dns: list(values, 'dns'),
      ip: list(values, 'ip'),
      profile: use,
      keyType: type,
      ...(keySize !== undefined ? { keySize } : {}),
    });
    const info = parseCsrPem(made.csrPem);
    const lint = checkCsrPolicy(info, {}, { profile: use });
    const files = [target(ctx, keyName, made.keyPem, true), target(ctx, csrName, made.csrPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const warnings = lint.map((v) => `a hub applying the scheme policy will refuse this CSR: ${v.rule}: ${v.message}`);
    warn(ctx, warnings);
    const summary = summariseCsr(info);
    emit(
      ctx,
      { command: 'csr', files: { key: keyName, csr: csrName }, csr: summary, policy: lint, warnings },
      `created ${use} key and CSR '${summary.subject}'\n${written(files)}${formatCsr(summary)}` +
        `Send ${csrName} to the other side's CA for signing; ${keyName} never leaves this machine.\n`,
    );
    return EXIT_OK;
  },
};

const signCsrSub: Sub = {
  summary: "sign the other party's CSR with our CA, after the policy checks",
  usage: `usage: dfsp-sidecar pki sign-csr --ca DIR --csr FILE --out FILE [--days N] [--yes] [options]

Checks the CSR against the scheme policy, shows what it will sign (subject, SANs, key, validity)
and, once confirmed, writes the certificate (PEM) to FILE. Confirmation: --yes, or y at the prompt
when stdin is a terminal; without a terminal and without --yes it refuses (exit 2) rather than
wait. A CSR that breaks a rule is refused (exit 1) with every broken rule named.

options:
  --ca DIR           our CA directory (ca.key.pem + ca.cert.pem)
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --csr FILE         the CSR to sign (PEM or DER)
  --out FILE         where to write the certificate
  --days N           validity, default ${DEFAULT_LEAF_DAYS}; at most --max-days
  --max-days N       policy cap, default ${SCHEME_POLICY.maxDays}
  --profile client|server   what the certificate is for, default client (EKU clientAuth)
  --allow-ec         also accept EC P-256/P-384 keys signed with ECDSA (private test hubs)
  --yes              sign without asking
  --force            replace FILE if it exists
  --json             print a JSON document

policy rules:
${Object.entries(POLICY_RULES)
  .map(([rule, text]) => `  ${rule.padEnd(20)}${text}`)
  .join('\n')}
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'ca-passphrase-file': { type: 'string' },
    csr: { type: 'string' },
    out: { type: 'string' },
    days: { type: 'string' },
    'max-days': { type: 'string' },
    profile: { type: 'string' },
    'allow-ec': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const csrPath = required(values, 'csr');
    const ca = await readCaDir(ctx, values);
    const csrBytes = await readInput(ctx, csrPath, '--csr');
    const days = int(values, 'days');
    const maxDays = int(values, 'max-days');
    const base = values['allow-ec'] === true ? withEc(SCHEME_POLICY) : SCHEME_POLICY;
    const policy = maxDays !== undefined ? { ...base, maxDays } : base;
    const use = profile(values);
    const force = values.force === true;
    await precheck(ctx, [out], force);
    const options = { ca, csrPem: csrBytes, profile: use, policy, ...(days !== undefined ? { days } : {}) };
    const plan = planCsrSigning(options);
    const summary = summariseCsr(plan.csr);
    const planDoc = {
      subject: summary.subject,
      san: summary.requested.san,
      key: summary.key,
      signatureAlgorithm: summary.signatureAlgorithm,
      profile: plan.profile,
      issuer: plan.issuerText,
      notBefore: plan.notBefore.toISOString(),
      notAfter: plan.notAfter.toISOString(),
      days: plan.days,
      spkiSha256: summary.fingerprints.spkiSha256,
    };
    const shown =
      `certificate request ${csrPath}\n${formatCsr(summary)}` +
      `will issue (${plan.profile}, EKU ${plan.profile === 'client' ? 'clientAuth' : 'serverAuth'}, CA:FALSE)\n` +
      `  ${'issuer'.padEnd(13)}${plan.issuerText}\n` +
      `  ${'validity'.padEnd(13)}${shortTime(planDoc.notBefore)} .. ${shortTime(planDoc.notAfter)} (${plan.days} days)\n`;
    if (plan.violations.length > 0) {
      return refusePolicy(ctx, 'sign-csr', plan.violations, { plan: planDoc }, `${shown}refused by policy:\n${formatViolations(plan.violations)}`);
    }
    if (values.yes !== true) {
      if (!ctx.json) ctx.io.stderr(shown);
      const answer = await ctx.deps.prompt(`Sign this request as ${plan.profile} certificate for ${plan.days} days? [y/N] `);
      if (answer === undefined) {
        throw new PkiInputError('stdin is not a terminal, so there is no one to confirm: review the request above and pass --yes to sign it');
      }
      if (!/^y(es)?$/i.test(answer.trim())) {
        return refuse(ctx, 'sign-csr', 'not signed: declined at the prompt', { plan: planDoc });
      }
    }
    const signed = signCsr(options);
    await writeFilesSafe([target(ctx, out, signed.certPem)], { force });
    const cert = summariseCertificate(signed.certificate);
    emit(
      ctx,
      { command: 'sign-csr', plan: planDoc, violations: [], file: out, certificate: cert },
      `${values.yes === true ? shown : ''}signed: wrote ${out}\n${formatCertificate(cert)}Return ${out} to its requester.\n`,
    );
    return EXIT_OK;
  },
};

const jwsKeys: Sub = {
  summary: 'create a JWS signing key pair, certificate, keystore and the public key to share',
  usage: `usage: dfsp-sidecar pki jws-keys --out DIR --fsp-id ID [--alg RS256|ES256] [--p12-passphrase-file F] [options]

Creates the FSPIOP JWS key pair for FSP ID:
  DIR/ID.key.pem    private key, mode 0600: PKCS#1 (RS256) or SEC1 'EC PRIVATE KEY' (ES256; the
                    Mojaloop SDK signs ES256 only when it sees that label)
  DIR/ID.pem        public key to share: peers look keys up by this file name = FSPIOP-Source
  DIR/ID.cert.pem   self-signed certificate, CN = ID (the "wrapped public key" some portals want)
  DIR/ID.p12        PKCS#12 with key and certificate (RS256 only; 3DES, opens in OpenSSL 3
                    without -legacy). Its passphrase comes from --p12-passphrase-file or is
                    generated into DIR/ID.p12.pass (mode 0600). ES256: no keystore (node-forge
                    writes PKCS#12 for RSA only); the SEC1 PEM is what the SDK loads.

options:
  --out DIR                 output directory
  --fsp-id ID               the FSP id (1-32 of letters, digits, '.', '_', '-')
  --alg RS256|ES256         default RS256 (what every Mojaloop validator accepts)
  --key-size BITS           RS256 key size, default 2048
  --days N                  certificate validity, default ${DEFAULT_LEAF_DAYS}
  --o ORG / --c CC          certificate subject O and C (optional)
  --p12-passphrase-file F   passphrase for ID.p12 (first line of F)
  --force                   replace existing files
  --json                    print a JSON document
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    'fsp-id': { type: 'string' },
    alg: { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    o: { type: 'string' },
    c: { type: 'string' },
    'p12-passphrase-file': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const fspId = checkFspId(required(values, 'fsp-id'));
    const alg = str(values, 'alg') ?? 'RS256';
    if (alg !== 'RS256' && alg !== 'ES256') throw new UsageError(`--alg must be RS256 or ES256, got '${alg}'`);
    const passFile = str(values, 'p12-passphrase-file');
    if (alg === 'ES256' && passFile !== undefined) throw new UsageError('--p12-passphrase-file applies to RS256 only (no PKCS#12 for ES256)');
    const force = values.force === true;
    const name = (suffix: string): string => join(out, `${fspId}${suffix}`);
    const willWrite = [name('.key.pem'), name('.pem'), name('.cert.pem')];
    if (alg === 'RS256') willWrite.push(name('.p12'), ...(passFile === undefined ? [name('.p12.pass')] : []));
    await precheck(ctx, willWrite, force);
    const given = passFile !== undefined ? await readPassphrase(ctx, passFile, '--p12-passphrase-file') : undefined;
    // A generated passphrase is written next to the keystore (0600), never printed.
    const passphrase = alg === 'RS256' ? (given ?? randomBytes(24).toString('base64url')) : undefined;
    const keySize = int(values, 'key-size');
    const days = int(values, 'days');
    const o = str(values, 'o');
    const c = str(values, 'c');
    const keys = await createJwsKeys({
      fspId,
      alg,
      ...(keySize !== undefined ? { keySize } : {}),
      ...(days !== undefined ? { days } : {}),
      ...(o !== undefined ? { o } : {}),
      ...(c !== undefined ? { c } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
    const files = [
      target(ctx, name('.key.pem'), keys.privateKeyPem, true),
      target(ctx, name('.pem'), keys.publicKeyPem),
      target(ctx, name('.cert.pem'), keys.certPem),
    ];
    if (keys.p12) {
      files.push(target(ctx, name('.p12'), keys.p12, true));
      if (given === undefined && passphrase !== undefined) files.push(target(ctx, name('.p12.pass'), `${passphrase}\n`, true));
    }
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = summariseCertificate(parseCertificates(keys.certPem)[0] ?? never());
    const p12 = keys.p12
      ? { file: name('.p12'), passphraseFile: given === undefined ? name('.p12.pass') : passFile }
      : { file: null, reason: keys.p12Note };
    emit(
      ctx,
      {
        command: 'jws-keys',
        fspId,
        alg,
        files: { privateKey: name('.key.pem'), publicKey: name('.pem'), cert: name('.cert.pem') },
        p12,
        spkiSha256: keys.spkiSha256,
        certificate: cert,
      },
      `created ${alg} JWS keys for '${fspId}'\n${written(files)}` +
        `  ${'spki sha256'.padEnd(13)}${keys.spkiSha256}\n` +
        (keys.p12 ? '' : `  ${'PKCS#12'.padEnd(13)}${keys.p12Note}\n`) +
        `Share ${name('.pem')} (its file name is your FSPIOP-Source, the peers' key-lookup id); ${name('.key.pem')} stays here.\n`,
    );
    return EXIT_OK;
  },
};

const inspectSub: Sub = {
  summary: 'describe certificates, CSRs, keys and keystores; verify a chain',
  usage: `usage: dfsp-sidecar pki inspect FILE... [--ca FILE] [--passphrase-file F] [--strict] [--json]

Reads PEM (any number of certificates, CSRs and keys), DER or PKCS#12 and prints subject, issuer,
SANs, validity and days left, key type and size, SHA-256 fingerprints (certificate and SPKI), and
the scheme policy findings. Private keys are described (type, size, public-key fingerprint), never
printed; a key is matched to any certificate or CSR given that carries its public key.

options:
  --ca FILE              trusted CA certificate(s): verify each file's first certificate (in a
                         PKCS#12, the one matching the key); exit 1 if a chain does not verify
  --passphrase-file F    passphrase for PKCS#12 files and encrypted keys
  --strict               exit 1 when a certificate or CSR breaks a scheme policy rule
  --json                 print a JSON document
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'passphrase-file': { type: 'string' },
    strict: { type: 'boolean' },
  },
  positionals: true,
  async run(values, positionals, ctx) {
    if (positionals.length === 0) throw new UsageError('give at least one FILE to inspect');
    const caPath = str(values, 'ca');
    const caPem = caPath !== undefined ? (await readInput(ctx, caPath, '--ca')).toString('utf8') : undefined;
    const passPath = str(values, 'passphrase-file');
    const passphrase = passPath !== undefined ? await readPassphrase(ctx, passPath, '--passphrase-file') : undefined;
    const results: Array<{ file: string; inspection: Inspection }> = [];
    for (const file of positionals) {
      const data = await readInput(ctx, file);
      const inspection = inspect(data, {
        source: file,
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(caPem !== undefined ? { caPem } : {}),
      });
      results.push({ file, inspection });
    }
    if (caPem !== undefined && !results.some((r) => r.inspection.chain)) {
      throw new PkiInputError('--ca given but no input holds a certificate to verify');
    }
    const matches = keyMatches(results);
    const chainFailed = results.some((r) => r.inspection.chain && !r.inspection.chain.ok);
    const policyFailed = results.some((r) => r.inspection.items.some((i) => (i.kind === 'certificate' || i.kind === 'csr') && i.policy.length > 0));
    let text = '';
    for (const r of results) text += formatInspection(r.file, r.inspection);
    for (const m of matches) text += `key in ${m.key} matches ${m.kind} in ${m.with}\n`;
    const ok = !chainFailed && !(values.strict === true && policyFailed);
    const doc = {
      command: 'inspect',
      files: results.map((r) => ({ file: r.file, ...r.inspection })),
      keyMatches: matches,
    };
    if (ctx.json) ctx.io.stdout(`${JSON.stringify({ ok, ...doc }, null, 2)}\n`);
    else ctx.io.stdout(text);
    return ok ? EXIT_OK : EXIT_REFUSED;
  },
};

function keyMatches(results: ReadonlyArray<{ file: string; inspection: Inspection }>): Array<{ key: string; kind: string; with: string }> {
  const holders: Array<{ spki: string; kind: string; where: string }> = [];
  for (const r of results) {
    r.inspection.items.forEach((item, i) => {
      const where = r.inspection.items.length > 1 ? `${r.file}#${i + 1}` : r.file;
      if (item.kind === 'certificate') holders.push({ spki: item.certificate.fingerprints.spkiSha256, kind: 'certificate', where });
      if (item.kind === 'csr') holders.push({ spki: item.csr.fingerprints.spkiSha256, kind: 'CSR', where });
    });
  }
  const out: Array<{ key: string; kind: string; with: string }> = [];
  for (const r of results) {
    r.inspection.items.forEach((item, i) => {
      if (item.kind !== 'private-key' || !item.spkiSha256) return;
      const where = r.inspection.items.length > 1 ? `${r.file}#${i + 1}` : r.file;
      for (const h of holders) if (h.spki === item.spkiSha256) out.push({ key: where, kind: h.kind, with: h.where });
    });
  }
  return out;
}

const kit: Sub = {
  summary: 'assemble the onboarding kit to send the hub (files, endpoints, checklist)',
  usage: `usage: dfsp-sidecar pki kit --out DIR --fsp-id ID --callback-url URL --egress CIDR... [files] [received] [options]

Writes DIR with exactly what to share with the hub, re-encoded from the inputs (a file holding a
private key is refused; the kit never contains one):
  ca.chain.pem, server.cert.pem, client.csr.pem, ID.pem (JWS public key; plus ID.cert.pem when a
  certificate was given), hub-client.cert.pem, manifest.json (endpoints, fingerprints, checklist)
  and CHECKLIST.md (the seed procedure: 2 endpoint, 8 TLS and 4 JWS steps, each done or pending).
Inputs are cross-checked: server certificate against the CA, the CSR against the scheme policy,
the hub client certificate against our CA, our client certificate against the hub CA and the CSR.

required:
  --out DIR                 the kit directory (new or empty; --force reuses a previous kit's)
  --fsp-id ID               our FSP id
  --callback-url URL        https base URL the hub calls us on
  --egress IP|CIDR          our outbound address(es) for the hub's allowlist (repeatable)
files we share (each optional; missing ones leave their steps pending):
  --ca-cert F               our CA certificate (chain)
  --server-cert F           our server certificate (may include the chain)
  --csr F                   our client CSR
  --jws-public-key F        our JWS public key (or its certificate)
  --hub-client-cert F       the hub's client certificate we signed (pki sign-csr)
received from the hub (checked and recorded, not copied):
  --hub-ca F                the hub CA chain
  --client-cert F           our client certificate signed by the hub
  --hub-jws-key F           the hub's JWS public key
  --peer-jws-dir DIR        directory of other participants' <fspId>.pem JWS keys
  --hub-egress IP|CIDR      the hub's egress addresses (repeatable)
options:
  --force                   replace a previous kit in DIR
  --json                    print the manifest as JSON
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    'fsp-id': { type: 'string' },
    'callback-url': { type: 'string' },
    egress: { type: 'string', multiple: true },
    'hub-egress': { type: 'string', multiple: true },
    'ca-cert': { type: 'string' },
    'server-cert': { type: 'string' },
    csr: { type: 'string' },
    'jws-public-key': { type: 'string' },
    'hub-client-cert': { type: 'string' },
    'hub-ca': { type: 'string' },
    'client-cert': { type: 'string' },
    'hub-jws-key': { type: 'string' },
    'peer-jws-dir': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const fspId = checkFspId(required(values, 'fsp-id'));
    const egress = list(values, 'egress');
    if (egress.length === 0) throw new UsageError('--egress is required (our outbound IP address or CIDR; repeatable)');
    const file = async (flag: string): Promise<KitInputFile | undefined> => {
      const p = str(values, flag);
      return p === undefined ? undefined : { name: p, data: await readInput(ctx, p, `--${flag}`) };
    };
    const peerDir = str(values, 'peer-jws-dir');
    const peers = peerDir === undefined ? undefined : await readPeerDir(ctx, peerDir);
    const inputs = {
      serverCert: await file('server-cert'),
      caCert: await file('ca-cert'),
      csr: await file('csr'),
      jwsPublicKey: await file('jws-public-key'),
      hubClientCert: await file('hub-client-cert'),
      hubCa: await file('hub-ca'),
      clientCert: await file('client-cert'),
      hubJwsKey: await file('hub-jws-key'),
    };
    const built = buildKit({
      fspId,
      callbackUrl: required(values, 'callback-url'),
      egress,
      hubEgress: list(values, 'hub-egress'),
      ...Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)),
      ...(peers ? { peerJwsKeys: peers } : {}),
    });
    const dir = ctx.path(out);
    await prepareKitDir(dir, out, fspId, values.force === true);
    await writeFilesSafe(built.files.map((f) => ({ path: join(dir, f.name), data: f.data })), { force: values.force === true });
    const m = built.manifest;
    warn(ctx, m.warnings);
    if (ctx.json) {
      ctx.io.stdout(`${JSON.stringify({ ok: true, command: 'kit', dir: out, manifest: m }, null, 2)}\n`);
      return EXIT_OK;
    }
    const steps = m.checklist.map((s) => `  [${s.status === 'done' ? 'x' : ' '}] ${s.id.padEnd(22)}${s.title}\n`).join('');
    ctx.io.stdout(
      `wrote onboarding kit ${out} (${m.progress.done} of ${m.progress.total} steps done)\n` +
        built.files.map((f) => `  ${join(out, f.name)}\n`).join('') +
        `checklist:\n${steps}` +
        `Send the whole directory to the hub; it holds no private key.\n`,
    );
    return EXIT_OK;
  },
};

async function readPeerDir(ctx: Ctx, dir: string): Promise<KitInputFile[]> {
  let names: string[];
  try {
    names = await readdir(ctx.path(dir));
  } catch {
    throw new PkiInputError(`cannot read --peer-jws-dir ${dir}`);
  }
  const pems = names.filter((n) => n.endsWith('.pem')).sort();
  return Promise.all(pems.map(async (n) => ({ name: join(dir, n), data: await readInput(ctx, join(dir, n), '--peer-jws-dir') })));
}

/**
 * The kit directory must hold the kit and nothing else. A new or empty directory is fine; with
 * --force, a previous kit's files are removed first (so a file no longer given does not linger),
 * and any other file is refused rather than shipped to the hub by accident.
 */
async function prepareKitDir(dir: string, shown: string, fspId: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new PkiInputError(`${shown} exists and is not a directory`);
    if (code !== 'ENOENT') throw err;
  }
  if (entries.length > 0) {
    if (!force) throw new PkiInputError(`${shown} is not empty (pass --force to replace a previous kit)`);
    const known = new Set(kitFileNames(fspId));
    const strangers = entries.filter((e) => !known.has(e));
    if (strangers.length > 0) throw new PkiInputError(`${shown} holds files that are not part of a kit: ${strangers.join(', ')}; remove them first`);
    await Promise.all(entries.map((e) => rm(join(dir, e), { force: true })));
  }
  await ensureDir(dir, false);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

const SUBS: Record<string, Sub> = {
  'init-ca': initCa,
  'server-cert': serverCert,
  csr,
  'sign-csr': signCsrSub,
  'jws-keys': jwsKeys,
  inspect: inspectSub,
  kit,
};

export function pkiUsage(): string {
  const lines = Object.entries(SUBS).map(([name, s]) => `  ${name.padEnd(14)}${s.summary}`);
  return (
    `usage: dfsp-sidecar pki <subcommand> [options]\n\nsubcommands:\n${lines.join('\n')}\n\n` +
    `'dfsp-sidecar pki <subcommand> --help' for its options. Every subcommand takes --json.\n` +
    `Exit codes: 0 done, 1 refused by policy or verification failed, 2 usage or input error.\n`
  );
}

function refuse(ctx: Ctx, command: string, message: string, extra: Record<string, unknown> = {}): number {
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ ok: false, command, error: { kind: 'refused', message }, ...extra }, null, 2)}\n`);
  else ctx.io.stderr(`dfsp-sidecar pki ${command}: ${message}\n`);
  return EXIT_REFUSED;
}

function refusePolicy(ctx: Ctx, command: string, violations: readonly Violation[], extra: Record<string, unknown>, text: string): number {
  if (ctx.json) {
    ctx.io.stdout(`${JSON.stringify({ ok: false, command, error: { kind: 'policy', message: 'refused by policy', violations }, ...extra }, null, 2)}\n`);
  } else {
    ctx.io.stderr(text);
  }
  return EXIT_REFUSED;
}

function errorKind(err: unknown): { kind: string; exit: number } | undefined {
  if (err instanceof UsageError) return { kind: 'usage', exit: EXIT_USAGE };
  if (err instanceof PkiPolicyError) return { kind: 'policy', exit: EXIT_REFUSED };
  if (isPkiError(err)) return err.name === 'PkiVerificationError' ? { kind: 'verification', exit: EXIT_REFUSED } : { kind: 'input', exit: EXIT_USAGE };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { kind: 'input', exit: EXIT_USAGE };
  return undefined;
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // A filesystem error while writing outputs: name the path and the reason, not a stack.
  if (e.code && e.path && !isPkiError(err)) return `cannot write ${e.path}: ${e.code}`;
  return e.message;
}

function never(): never {
  throw new Error('unreachable');
}

async function ttyPrompt(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export function createPkiCommand(deps: PkiDeps = {}): Command {
  const resolved: Required<PkiDeps> = { prompt: deps.prompt ?? ttyPrompt };
  return async function pkiCommand(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.stderr(pkiUsage());
      return EXIT_USAGE;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout(pkiUsage());
      return EXIT_OK;
    }
    const sub = SUBS[name];
    if (!sub) {
      io.stderr(`dfsp-sidecar pki: unknown subcommand '${name}'\n\n${pkiUsage()}`);
      return EXIT_USAGE;
    }
    const json = rest.includes('--json');
    const ctx: Ctx = { io, json, deps: resolved, path: (p) => resolve(io.cwd, p) };
    try {
      let parsed: { values: Values; positionals: string[] };
      try {
        parsed = parseArgs({ args: rest, options: sub.options, strict: true, allowPositionals: sub.positionals === true }) as {
          values: Values;
          positionals: string[];
        };
      } catch (err) {
        throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${sub.usage}`);
      }
      if (parsed.values.help === true) {
        io.stdout(sub.usage);
        return EXIT_OK;
      }
      return await sub.run(parsed.values, parsed.positionals, ctx);
    } catch (err) {
      const kind = errorKind(err);
      if (!kind) throw err;
      const message = describeError(err);
      if (json) {
        const violations = err instanceof PkiPolicyError ? { violations: err.violations } : {};
        io.stdout(`${JSON.stringify({ ok: false, command: name, error: { kind: kind.kind, message: message.split('\n\n')[0], ...violations } }, null, 2)}\n`);
      }
      io.stderr(`dfsp-sidecar pki ${name}: ${message}\n`);
      if (err instanceof PkiPolicyError && !json) io.stderr(formatViolations(err.violations));
      return kind.exit;
    }
  };
}

export const pkiCommand: Command = createPkiCommand();

