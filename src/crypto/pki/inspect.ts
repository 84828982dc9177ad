/**
 * Reading whatever an operator hands us: PEM (any number of blocks), DER, or PKCS#12, holding
 * certificates, CSRs, private or public keys. `readObjects` gives parsed objects for code that
 * acts on them (the kit, the CLI); `inspect` gives a JSON-safe description for people and
 * pipelines. Private keys are described (type, size, public-key fingerprint), never echoed.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseCertificate, parseCertificates, type CertificateInfo } from './certificate.js';
import { verifyChain, type ChainResult } from './chain.js';
import { parseCsr, type CsrInfo } from './csr.js';
import { PkiInputError, type Violation } from './errors.js';
import type { SubjectAltNames } from './extensions.js';
import { describeKey, loadPrivateKey, spkiSha256, type KeyDescription } from './keys.js';
import { looksLikePem, parsePem, type PemBlock } from './pem.js';
import { looksLikePkcs12, readPkcs12 } from './pkcs12.js';
import { checkCertificatePolicy, checkCsrPolicy } from './policy.js';

export type ContainerFormat = 'pem' | 'der' | 'pkcs12';

export type PkiObject =
  | { readonly kind: 'certificate'; readonly info: CertificateInfo }
  | { readonly kind: 'csr'; readonly info: CsrInfo }
  | {
      readonly kind: 'private-key';
      /** Absent while the key is encrypted and no passphrase was given. */
      readonly key: KeyObject | undefined;
      readonly encoding: 'pkcs8' | 'pkcs1' | 'sec1' | 'encrypted-pkcs8' | 'encrypted-legacy-pem';
    }
  | { readonly kind: 'public-key'; readonly key: KeyObject }
  | { readonly kind: 'ignored'; readonly label: string; readonly note: string };

export interface ReadOptions {
  /** Name used in messages (a file path). */
  source?: string;
  /** For PKCS#12 files and encrypted private keys. */
  passphrase?: string;
}

export function readObjects(data: Uint8Array | string, options: ReadOptions = {}): { format: ContainerFormat; objects: PkiObject[] } {
  const source = options.source ?? 'input';
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  if (bytes.length === 0) throw new PkiInputError(`${source} is empty`);
  if (looksLikePem(bytes)) {
    const blocks = parsePem(bytes.toString('utf8'), source);
    if (blocks.length === 0) throw new PkiInputError(`${source}: no PEM blocks found`);
    return { format: 'pem', objects: blocks.map((b, i) => fromPemBlock(b, blocks.length > 1 ? `${source} (block ${i + 1})` : source, options.passphrase)) };
  }
  if (looksLikePkcs12(bytes)) {
    const p12 = readPkcs12(bytes, source, options.passphrase);
    return {
      format: 'pkcs12',
      objects: [
        ...p12.keys.map((key) => ({ kind: 'private-key' as const, key, encoding: 'pkcs8' as const })),
        ...p12.certificates.map((info) => ({ kind: 'certificate' as const, info })),
      ],
    };
  }
  return { format: 'der', objects: [fromDer(bytes, source, options.passphrase)] };
}

function fromPemBlock(block: PemBlock, source: string, passphrase: string | undefined): PkiObject {
  switch (block.label) {
    case 'CERTIFICATE':
    case 'X509 CERTIFICATE':
      return { kind: 'certificate', info: parseCertificate(block.der, source) };
    case 'CERTIFICATE REQUEST':
    case 'NEW CERTIFICATE REQUEST':
      return { kind: 'csr', info: parseCsr(block.der, source) };
    case 'PRIVATE KEY':
      return { kind: 'private-key', key: loadPrivateKey(block.text, source), encoding: 'pkcs8' };
    case 'RSA PRIVATE KEY':
    case 'EC PRIVATE KEY': {
      const encoding = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'sec1';
      if (block.headers['Proc-Type']?.includes('ENCRYPTED')) {
        if (passphrase === undefined) return { kind: 'private-key', key: undefined, encoding: 'encrypted-legacy-pem' };
        return { kind: 'private-key', key: loadPrivateKey(block.text, source, passphrase), encoding: 'encrypted-legacy-pem' };
      }
      return { kind: 'private-key', key: loadPrivateKey(block.text, source), encoding };
    }
    case 'ENCRYPTED PRIVATE KEY':
      if (passphrase === undefined) return { kind: 'private-key', key: undefined, encoding: 'encrypted-pkcs8' };
      return { kind: 'private-key', key: loadPrivateKey(block.text, source, passphrase), encoding: 'encrypted-pkcs8' };
    case 'PUBLIC KEY':
    case 'RSA PUBLIC KEY':
      try {
        return { kind: 'public-key', key: createPublicKey({ key: block.text }) };
      } catch (err) {
        throw new PkiInputError(`${source}: not a readable public key`, { cause: err });
      }
    case 'EC PARAMETERS':
      return { kind: 'ignored', label: block.label, note: 'curve parameters written by openssl ecparam; the key block follows' };
    default:
      throw new PkiInputError(`${source}: unsupported PEM block '${block.label}' (expected certificates, CSRs or keys)`);
  }
}

/** DER holds one object; try each type in turn, most common first. */
function fromDer(der: Buffer, source: string, passphrase: string | undefined): PkiObject {
  if (der[0] !== 0x30) throw new PkiInputError(`${source}: not a certificate, CSR, key or PKCS#12 file (neither PEM nor DER)`);
  try {
    return { kind: 'certificate', info: parseCertificate(der, source) };
  } catch {
    // not a certificate
  }
  try {
    return { kind: 'csr', info: parseCsr(der, source) };
  } catch {
    // not a CSR
  }
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return { kind: 'private-key', key: createPrivateKey({ key: der, format: 'der', type }), encoding: type };
    } catch (err) {
      if (type === 'pkcs8' && /passphrase/i.test(String((err as Error).message))) {
        if (passphrase === undefined) return { kind: 'private-key', key: undefined, encoding: 'encrypted-pkcs8' };
        return { kind: 'private-key', key: loadPrivateKey(der, source, passphrase), encoding: 'encrypted-pkcs8' };
      }
    }
  }
  try {
    return { kind: 'public-key', key: createPublicKey({ key: der, format: 'der', type: 'spki' }) };
  } catch {
    // nothing matched
  }
  throw new PkiInputError(`${source}: not a certificate, CSR, key or PKCS#12 file (DER of an unknown structure)`);
}

// ---------------------------------------------------------------------------------------------
// JSON-safe descriptions

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter; negative once expired. */
  daysLeft: number;
  status: 'valid' | 'expired' | 'not-yet-valid';
  key: KeyDescription;
  signatureAlgorithm: string;
  isCa: boolean;
  selfIssued: boolean;
  pathLength?: number;
  keyUsage: string[];
  extKeyUsage: string[];
  san: SubjectAltNames;
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  fingerprints: { sha256: string; spkiSha256: string };
}

export interface CsrSummary {
  subject: string;
  key: KeyDescription;
  signatureAlgorithm: string;
  signatureValid: boolean;
  requested: { ca: boolean; keyUsage: string[]; extKeyUsage: string[]; san: SubjectAltNames };
  fingerprints: { sha256: string; spkiSha256: string };
}

export type InspectedItem =
  | { kind: 'certificate'; certificate: CertificateSummary; policy: Violation[] }
  | { kind: 'csr'; csr: CsrSummary; policy: Violation[] }
  | { kind: 'private-key'; encoding: string; encrypted: boolean; key?: KeyDescription; spkiSha256?: string; note?: string }
  | { kind: 'public-key'; key: KeyDescription; spkiSha256: string }
  | { kind: 'ignored'; label: string; note: string };

/**
 * Certificates and CSRs carry `policy`: the scheme rules they break (empty when none), so
 * inspecting a file is also linting it.
 */
export interface Inspection {
  format: ContainerFormat;
  items: InspectedItem[];
  /** With `caPem`: the path of the first certificate (in a PKCS#12, the one matching the key). */
  chain?: ChainResult & { leaf: string };
}

const EMPTY_SAN: SubjectAltNames = { dns: [], ip: [], uri: [], email: [], other: [] };
const DAY_MS = 86_400_000;

export function summariseCertificate(info: CertificateInfo, now = new Date()): CertificateSummary {
  const ext = info.extensions;
  const status = info.notAfter.getTime() < now.getTime() ? 'expired' : info.notBefore.getTime() > now.getTime() ? 'not-yet-valid' : 'valid';
  return {
    subject: info.subjectText,
    issuer: info.issuerText,
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    daysLeft: Math.floor((info.notAfter.getTime() - now.getTime()) / DAY_MS),
    status,
    key: info.key,
    signatureAlgorithm: info.signatureAlgorithm,
    isCa: info.isCa,
    selfIssued: info.selfIssued,
    ...(ext.basicConstraints?.pathLength !== undefined ? { pathLength: ext.basicConstraints.pathLength } : {}),
    keyUsage: ext.keyUsage?.usages ?? [],
    extKeyUsage: ext.extKeyUsage?.usages ?? [],
    san: ext.subjectAltName ?? EMPTY_SAN,
    ...(ext.subjectKeyIdentifier ? { subjectKeyIdentifier: ext.subjectKeyIdentifier } : {}),
    ...(ext.authorityKeyIdentifier ? { authorityKeyIdentifier: ext.authorityKeyIdentifier } : {}),
    fingerprints: { sha256: info.fingerprintSha256, spkiSha256: info.spkiSha256 },
  };
}

export function summariseCsr(info: CsrInfo): CsrSummary {
  const ext = info.extensions;
  return {
    subject: info.subjectText,
    key: info.key,
    signatureAlgorithm: info.signatureAlgorithm,
    signatureValid: info.signatureValid,
    requested: {
      ca: ext.basicConstraints?.ca === true,
      keyUsage: ext.keyUsage?.usages ?? [],
      extKeyUsage: ext.extKeyUsage?.usages ?? [],
      san: ext.subjectAltName ?? EMPTY_SAN,
    },
    fingerprints: { sha256: info.fingerprintSha256, spkiSha256: info.spkiSha256 },
  };
}

function describeObject(obj: PkiObject, now: Date): InspectedItem {
  switch (obj.kind) {
    case 'certificate':
      return { kind: 'certificate', certificate: summariseCertificate(obj.info, now), policy: checkCertificatePolicy(obj.info) };
    case 'csr': {
      // Lint a request as it would be signed: for serverAuth when it asks only for that.
      const eku = obj.info.extensions.extKeyUsage?.usages ?? [];
      const profile = eku.includes('serverAuth') && !eku.includes('clientAuth') ? 'server' : 'client';
      return { kind: 'csr', csr: summariseCsr(obj.info), policy: checkCsrPolicy(obj.info, {}, { profile }) };
    }
    case 'private-key': {
      const encrypted = obj.encoding.startsWith('encrypted');
      if (!obj.key) return { kind: 'private-key', encoding: obj.encoding, encrypted, note: 'encrypted; give its passphrase with --passphrase-file to describe it' };
      return { kind: 'private-key', encoding: obj.encoding, encrypted, key: describeKey(obj.key), spkiSha256: spkiSha256(obj.key) };
    }
    case 'public-key':
      return { kind: 'public-key', key: describeKey(obj.key), spkiSha256: spkiSha256(obj.key) };
    case 'ignored':
      return { kind: 'ignored', label: obj.label, note: obj.note };
  }
}

export interface InspectOptions extends ReadOptions {
  /** PEM with the trusted CA certificate(s): the first certificate's path is verified against them. */
  caPem?: string;
  now?: Date;
}

export function inspect(data: Uint8Array | string, options: InspectOptions = {}): Inspection {
  const now = options.now ?? new Date();
  const { format, objects } = readObjects(data, options);
  const result: Inspection = { format, items: objects.map((o) => describeObject(o, now)) };
  if (options.caPem !== undefined) {
    const roots = parseCertificates(options.caPem, 'CA file');
    if (roots.length === 0) throw new PkiInputError('CA file: no CERTIFICATE block found');
    const certs = objects.flatMap((o) => (o.kind === 'certificate' ? [o.info] : []));
    const key = objects.find((o): o is Extract<PkiObject, { kind: 'private-key' }> => o.kind === 'private-key' && o.key !== undefined)?.key;
    const leaf = (key && certs.find((c) => c.spkiSha256 === spkiSha256(key))) ?? certs[0];
    if (leaf) {
      const chain = verifyChain(leaf, { roots, intermediates: certs.filter((c) => c !== leaf), at: now });
      result.chain = { ...chain, leaf: leaf.subjectText };
    }
  }
  return result;
}
