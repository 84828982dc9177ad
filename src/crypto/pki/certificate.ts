/**
 * X.509 certificates: the one builder every certificate goes through (CA, server, client, JWS and
 * CSR-signed), and the parser behind inspection, chain checks and the kit.
 *
 * node-forge's ASN.1 module encodes the TBSCertificate; node:crypto signs it. forge's own
 * `cert.sign` is RSA-only pure JavaScript (measured on the 2-core dev box: ~37 ms per signature
 * with a 2048-bit key, ~180 ms with 4096, against 0.4 ms and 4 ms natively); signing natively also
 * gives one path for RSA and EC issuers. @peculiar/x509 is not used: its tsyringe dependency
 * throws at import without a global reflect-metadata polyfill, and a trial of it (issue 14) was
 * slower and saved little code; figures in the README's dependency table. Every certificate
 * is re-parsed by OpenSSL (node's X509Certificate) and checked against its issuer before it is
 * returned, so an encoding mistake fails here, not in a peer's TLS stack.
 */
import { X509Certificate, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  Class,
  OID,
  bitString,
  children,
  explicit,
  integerBytes,
  oidOf,
  readDer,
  readTime,
  seq,
  signatureAlgorithm,
  signatureAlgorithmName,
  smallInteger,
  time,
  toBinary,
  writeDer,
  type Asn1,
} from './der.js';
import { PkiInputError, PkiVerificationError } from './errors.js';
import {
  certificateExtensions,
  checkDnsName,
  decodeExtensions,
  parseIp,
  keyIdentifier,
  type AltNameInput,
  type ExtensionSummary,
  type Profile,
} from './extensions.js';
import {
  describeKey,
  encryptedPrivateKeyPem,
  generateKeyPair,
  loadPrivateKey,
  privateKeyPem,
  sameKey,
  sha256Fingerprint,
  spkiDer,
  spkiSha256,
  type KeyDescription,
  type KeyType,
} from './keys.js';
import { firstValue, formatName, normaliseSubject, readName, subjectToAsn1, type NameAttribute, type SubjectFields } from './names.js';
import { parsePem, toPem } from './pem.js';

/** A CA that can sign: its private key and its certificate (optionally followed by its own issuers). */
export interface CaMaterial {
  readonly keyPem: string;
  readonly certPem: string;
  /** When keyPem is encrypted. */
  readonly passphrase?: string;
}

export interface IssuedCert {
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly certPem: string;
  /** The certificate followed by the CA chain: what a TLS server or client presents. */
  readonly chainPem: string;
}

export interface ValidityOptions {
  /** Lifetime from now. Ignored when notAfter is given. */
  days?: number;
  /** Defaults to five minutes ago, so a peer whose clock is slightly behind accepts the certificate. */
  notBefore?: Date;
  /** Set both dates in the past to make an expired certificate (tests). */
  notAfter?: Date;
}

export interface KeyOptions {
  keyType?: KeyType;
  /** RSA bits (default 2048) or EC 256/384. */
  keySize?: number;
  /** Use this key instead of generating one (PEM or KeyObject); keyType/keySize are then ignored. */
  key?: KeyObject | string;
}

export const DEFAULT_CA_DAYS = 3650;
/** The scheme's certificate lifetime (PKI best practices: two years, renewed at 18 months). */
export const DEFAULT_LEAF_DAYS = 730;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Parsing

export interface CertificateInfo {
  readonly der: Buffer;
  readonly pem: string;
  /** Hex, as OpenSSL prints it. */
  readonly serial: string;
  readonly subject: readonly NameAttribute[];
  readonly subjectText: string;
  readonly issuer: readonly NameAttribute[];
  readonly issuerText: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  readonly publicKey: KeyObject;
  readonly key: KeyDescription;
  readonly extensions: ExtensionSummary;
  readonly isCa: boolean;
  /** Subject and issuer names are identical (a root, or a self-signed leaf such as a JWS certificate). */
  readonly selfIssued: boolean;
  readonly fingerprintSha256: string;
  readonly spkiSha256: string;
  /** node's view of the same certificate, for signature and issuer checks. */
  readonly x509: X509Certificate;
}

export function parseCertificate(der: Uint8Array, source = 'certificate'): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(Buffer.from(der));
  } catch (err) {
    throw new PkiInputError(`${source}: not a valid X.509 certificate`, { cause: err });
  }
  const root = readDer(der, source);
  const [tbs, sigAlg] = children(root, source);
  const fields = children(tbs, source);
  // version is an explicit [0]; a v1 certificate omits it and every later field shifts by one.
  const offset = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC ? 1 : 0;
  const field = (i: number): Asn1 | undefined => fields[i + offset];
  const subjectNode = field(4);
  const issuerNode = field(2);
  const validity = children(field(3), `${source} validity`);
  const extensionsNode = fields.find((f) => f.tagClass === Class.CONTEXT_SPECIFIC && (f.type as number) === 3);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: writeDer(field(5) as Asn1), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiInputError(`${source}: unsupported public key algorithm`, { cause: err });
  }
  const subject = readName(subjectNode, `${source} subject`);
  const issuer = readName(issuerNode, `${source} issuer`);
  const extensions = decodeExtensions(extensionsNode ? children(extensionsNode, source)[0] : undefined, source);
  const buf = Buffer.from(der);
  return {
    der: buf,
    pem: toPem(buf, 'CERTIFICATE'),
    serial: x509.serialNumber,
    subject,
    subjectText: formatName(subject),
    issuer,
    issuerText: formatName(issuer),
    notBefore: readTime(validity[0], `${source} notBefore`),
    notAfter: readTime(validity[1], `${source} notAfter`),
    signatureAlgorithm: signatureAlgorithmName(oidOf(children(sigAlg, source)[0], source)),
    publicKey,
    key: describeKey(publicKey),
    extensions,
    isCa: extensions.basicConstraints?.ca === true,
    selfIssued: writeDer(subjectNode as Asn1).equals(writeDer(issuerNode as Asn1)),
    fingerprintSha256: sha256Fingerprint(buf),
    spkiSha256: spkiSha256(publicKey),
    x509,
  };
}

/** Every CERTIFICATE block of a PEM text, in order; other blocks are ignored. */
export function parseCertificates(pem: string, source = 'certificate'): CertificateInfo[] {
  return parsePem(pem, source)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b, i) => parseCertificate(b.der, i === 0 ? source : `${source} (certificate ${i + 1})`));
}

// ---------------------------------------------------------------------------------------------
// The builder

export interface LoadedCa {
  readonly key: KeyObject;
  readonly cert: CertificateInfo;
  /** The CA certificate and any issuers given after it, as PEM. */
  readonly chainPem: string;
}

/** Checks that the material can sign: a CA certificate, its matching key, not expired. */
export function loadCa(ca: CaMaterial, source = 'CA'): LoadedCa {
  const certs = parseCertificates(ca.certPem, `${source} certificate`);
  const cert = certs[0];
  if (!cert) throw new PkiInputError(`${source} certificate: no CERTIFICATE block found`);
  if (!cert.isCa) throw new PkiInputError(`${source} certificate '${cert.subjectText}' is not a CA (basicConstraints CA:TRUE missing)`);
  const ku = cert.extensions.keyUsage;
  if (ku && !ku.usages.includes('keyCertSign')) {
    throw new PkiInputError(`${source} certificate '${cert.subjectText}' may not sign certificates (keyUsage lacks keyCertSign)`);
  }
  const key = loadPrivateKey(ca.keyPem, `${source} key`, ca.passphrase, '--ca-passphrase-file');
  if (!sameKey(key, cert.publicKey)) throw new PkiInputError(`${source} key does not belong to the CA certificate '${cert.subjectText}'`);
  const now = Date.now();
  if (cert.notAfter.getTime() <= now) {
    throw new PkiVerificationError(`${source} certificate '${cert.subjectText}' expired on ${cert.notAfter.toISOString()}`);
  }
  return { key, cert, chainPem: certs.map((c) => c.pem).join('') };
}

export interface IssueRequest {
  profile: Profile;
  /** An encoded Name: built from fields, or copied from a CSR so the subject is kept byte for byte. */
  subjectName: Asn1;
  subjectKey: KeyObject;
  /** Omit for self-signed; then `signingKey` is the subject's private key. */
  issuer?: LoadedCa;
  signingKey?: KeyObject;
  altNames?: AltNameInput;
  notBefore: Date;
  notAfter: Date;
  pathLength?: number;
}

/** Signs one certificate and checks it with OpenSSL before returning its DER. */
export function issueCertificate(req: IssueRequest): CertificateInfo {
  const signer = req.issuer?.key ?? req.signingKey;
  if (!signer) throw new PkiInputError('issueCertificate: an issuer or a signing key is required');
  const { sigOid, hash } = signatureFor(signer);
  const issuerName = req.issuer ? nameNodeOf(req.issuer.cert) : req.subjectName;
  const authorityKeyId = req.issuer ? authorityKeyIdOf(req.issuer.cert) : keyIdentifier(req.subjectKey);
  const tbs = seq([
    explicit(0, [smallInteger(2)]),
    integerBytes(toBinary(serialNumber())),
    signatureAlgorithm(sigOid),
    issuerName,
    seq([time(req.notBefore), time(req.notAfter)]),
    req.subjectName,
    readDer(spkiDer(req.subjectKey), 'public key'),
    explicit(3, [
      certificateExtensions({
        profile: req.profile,
        subjectKey: req.subjectKey,
        authorityKeyId,
        ...(req.altNames ? { altNames: req.altNames } : {}),
        ...(req.pathLength !== undefined ? { pathLength: req.pathLength } : {}),
      }),
    ]),
  ]);
  const signature = sign(hash, writeDer(tbs), signer);
  const der = writeDer(seq([tbs, signatureAlgorithm(sigOid), bitString(signature)]));
  const info = parseCertificate(der, 'issued certificate');
  const issuerX509 = req.issuer?.cert.x509;
  const ok = issuerX509
    ? info.x509.checkIssued(issuerX509) && info.x509.verify(issuerX509.publicKey)
    : info.x509.verify(info.publicKey);
  if (!ok) throw new Error('issued certificate failed its self-check (issuer name or signature); this is a bug');
  return info;
}

function signatureFor(key: KeyObject): { sigOid: string; hash: string } {
  const desc = describeKey(key);
  if (desc.type === 'rsa') return { sigOid: OID.sha256WithRSAEncryption, hash: 'sha256' };
  if (desc.type === 'ec' && desc.curve === 'P-256') return { sigOid: OID.ecdsaWithSha256, hash: 'sha256' };
  if (desc.type === 'ec' && desc.curve === 'P-384') return { sigOid: OID.ecdsaWithSha384, hash: 'sha384' };
  throw new PkiInputError(`cannot sign with a ${desc.text} key (RSA, EC P-256 or EC P-384 only)`);
}

/** The CA's subject, re-read from its DER so the issuer field matches it exactly (RFC 5280 §7.1). */
function nameNodeOf(cert: CertificateInfo): Asn1 {
  const fields = children(children(readDer(cert.der, 'CA certificate'), 'CA certificate')[0], 'CA certificate');
  const offset = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC ? 1 : 0;
  return fields[4 + offset] as Asn1;
}

function authorityKeyIdOf(cert: CertificateInfo): Buffer {
  const ski = cert.extensions.subjectKeyIdentifier;
  return ski ? Buffer.from(ski.replace(/:/g, ''), 'hex') : keyIdentifier(cert.publicKey);
}

/** 128 random bits, positive and minimally encoded (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

export function resolveValidity(options: ValidityOptions, defaultDays: number, now = new Date()): { notBefore: Date; notAfter: Date } {
  const days = options.days ?? defaultDays;
  if (options.notAfter === undefined && (!Number.isInteger(days) || days < 1 || days > 36500)) {
    throw new PkiInputError(`validity must be a whole number of days between 1 and 36500, got ${days}`);
  }
  const notBefore = seconds(options.notBefore ?? new Date(now.getTime() - CLOCK_SKEW_MS));
  const notAfter = seconds(options.notAfter ?? new Date(now.getTime() + days * 86_400_000));
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new PkiInputError('invalid validity date');
  if (notAfter.getTime() <= notBefore.getTime()) throw new PkiInputError('validity: notAfter must be later than notBefore');
  return { notBefore, notAfter };
}

/** X.509 times have whole seconds; truncating here keeps what we report equal to what we encode. */
function seconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** A certificate may not outlive its issuer: after that date it could never verify. */
export function checkWithinCa(ca: LoadedCa, notAfter: Date): void {
  if (notAfter.getTime() > ca.cert.notAfter.getTime()) {
    const maxDays = Math.floor((ca.cert.notAfter.getTime() - Date.now()) / 86_400_000);
    throw new PkiInputError(
      `the certificate would outlive its CA (CA '${ca.cert.subjectText}' expires ${ca.cert.notAfter.toISOString()}); use at most ${maxDays} days`,
    );
  }
}

async function resolveKey(options: KeyOptions): Promise<KeyObject> {
  if (options.key !== undefined) {
    return typeof options.key === 'string' ? loadPrivateKey(options.key, 'key') : options.key;
  }
  const pair = await generateKeyPair({
    ...(options.keyType ? { keyType: options.keyType } : {}),
    ...(options.keySize ? { keySize: options.keySize } : {}),
  });
  return pair.privateKey;
}

// ---------------------------------------------------------------------------------------------
// Public factories

export interface CreateCaOptions extends KeyOptions, ValidityOptions {
  /** Encrypt the returned key (PKCS#8, AES-256-CBC) with this passphrase. */
  keyPassphrase?: string;
  cn: string;
  o?: string;
  c?: string;
  ou?: string;
  /** basicConstraints pathLenConstraint; omitted (no limit) by default. */
  pathLength?: number;
}

/** A root CA: self-signed, basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign (critical), SKI/AKI. */
export async function createCa(options: CreateCaOptions): Promise<CaMaterial> {
  const subject = normaliseSubject(options);
  const validity = resolveValidity(options, DEFAULT_CA_DAYS);
  if (options.keyPassphrase === '') throw new PkiInputError('a key passphrase must not be empty');
  if (options.pathLength !== undefined && (!Number.isInteger(options.pathLength) || options.pathLength < 0)) {
    throw new PkiInputError('pathLength must be a non-negative integer');
  }
  const key = await resolveKey(options);
  const cert = issueCertificate({
    profile: 'ca',
    subjectName: subjectToAsn1(subject),
    subjectKey: key,
    signingKey: key,
    ...validity,
    ...(options.pathLength !== undefined ? { pathLength: options.pathLength } : {}),
  });
  if (options.keyPassphrase !== undefined) {
    return { keyPem: encryptedPrivateKeyPem(key, options.keyPassphrase), certPem: cert.pem, passphrase: options.keyPassphrase };
  }
  return { keyPem: privateKeyPem(key, 'pkcs8'), certPem: cert.pem };
}

export interface CreateLeafOptions extends KeyOptions, ValidityOptions {
  ca: CaMaterial;
  cn: string;
  /** Defaults to the CA's O, so the subject has CN, O and C as the scheme requires. */
  o?: string;
  /** Defaults to the CA's C. */
  c?: string;
  ou?: string;
  dns?: readonly string[];
  ip?: readonly string[];
}

/** A TLS server certificate: EKU serverAuth, SANs from dns/ip, signed by `ca`. */
export async function createServerCert(options: CreateLeafOptions): Promise<IssuedCert> {
  return createLeaf('server', options);
}

/** A TLS client certificate: EKU clientAuth, signed by `ca` (e.g. a DFSP client cert from the hub CA). */
export async function createClientCert(options: CreateLeafOptions): Promise<IssuedCert> {
  return createLeaf('client', options);
}

async function createLeaf(profile: 'server' | 'client', options: CreateLeafOptions): Promise<IssuedCert> {
  const ca = loadCa(options.ca);
  const subject = inheritSubject(options, ca.cert.subject);
  const validity = resolveValidity(options, DEFAULT_LEAF_DAYS);
  checkWithinCa(ca, validity.notAfter);
  // Check SANs before spending a key generation on them.
  const altNames = { dns: (options.dns ?? []).map(checkDnsName), ip: (options.ip ?? []).map((ip) => parseIp(ip).toString()) };
  const key = await resolveKey(options);
  const cert = issueCertificate({ profile, subjectName: subjectToAsn1(subject), subjectKey: key, issuer: ca, altNames, ...validity });
  return { keyPem: privateKeyPem(key, 'pkcs8'), certPem: cert.pem, chainPem: cert.pem + ca.chainPem };
}

function inheritSubject(options: SubjectFields, caSubject: readonly NameAttribute[]): SubjectFields {
  const o = options.o ?? firstValue(caSubject, 'O');
  const c = options.c ?? firstValue(caSubject, 'C');
  return normaliseSubject({
    cn: options.cn,
    ...(o !== undefined ? { o } : {}),
    ...(c !== undefined ? { c } : {}),
    ...(options.ou !== undefined ? { ou: options.ou } : {}),
  });
}
