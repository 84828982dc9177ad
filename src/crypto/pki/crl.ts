/**
 * Revocation for certificates our CA signed (the hub's client certificate, above all): a small
 * revocation list kept in the CA directory, and an X.509 v2 CRL built from it (RFC 5280 §5) that the
 * inbound gateway loads through inbound.tls.crlFiles, so a revoked hub client certificate fails the
 * TLS handshake. The CRL carries the two extensions RFC 5280 §5.2 requires of a conforming CA
 * (authorityKeyIdentifier, cRLNumber) and a reason code per entry; OpenSSL verifies it
 * (`openssl crl -verify`), which the tests check.
 *
 * A CRL has a nextUpdate: past it, OpenSSL refuses every client the CRL covers (CRL_HAS_EXPIRED).
 * Issue a new one well before (`pki crl` on a schedule); the gateway reloads the file by itself.
 */
import { sign } from 'node:crypto';
import { Class, OID, bitString, children, enumerated, explicit, implicitPrimitive, integerBytes, octetString, oid, readDer, seq, signatureAlgorithm, smallInteger, time, writeDer, type Asn1 } from './der.js';
import type { CertificateInfo, LoadedCa } from './certificate.js';
import { PkiInputError } from './errors.js';
import { keyIdentifier } from './extensions.js';
import { describeKey } from './keys.js';
import { toPem } from './pem.js';

/** RFC 5280 §5.3.1 CRLReason values an operator picks from. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface RevokedEntry {
  /** Hex, as OpenSSL prints it. */
  readonly serial: string;
  readonly revokedAt: string;
  readonly reason: RevocationReason;
  readonly subject: string;
  readonly notAfter: string;
}

/** The revocation list kept beside ca.key.pem and ca.cert.pem (revoked.json). */
export interface RevocationDb {
  /** The number of the last CRL issued (cRLNumber is monotonic, RFC 5280 §5.2.3). */
  readonly crlNumber: number;
  readonly revoked: readonly RevokedEntry[];
}

export const EMPTY_REVOCATION_DB: RevocationDb = { crlNumber: 0, revoked: [] };

export function parseRevocationDb(text: string, source: string): RevocationDb {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PkiInputError(`${source}: not JSON`);
  }
  const d = doc as Partial<RevocationDb>;
  if (typeof d !== 'object' || d === null || !Number.isInteger(d.crlNumber) || !Array.isArray(d.revoked)) {
    throw new PkiInputError(`${source}: expected {"crlNumber": N, "revoked": [...]}`);
  }
  for (const e of d.revoked) {
    if (typeof e?.serial !== 'string' || !/^[0-9A-F]+$/i.test(e.serial) || typeof e.revokedAt !== 'string' || Number.isNaN(Date.parse(e.revokedAt)) || !(e.reason in REVOCATION_REASONS)) {
      throw new PkiInputError(`${source}: malformed entry ${JSON.stringify(e)}`);
    }
  }
  return { crlNumber: d.crlNumber as number, revoked: d.revoked };
}

/**
 * Add a certificate to the list. It must have been issued by this CA (name and signature): a
 * serial number means nothing under another issuer. Revoking twice keeps the first entry.
 */
export function revoke(db: RevocationDb, ca: LoadedCa, cert: CertificateInfo, reason: RevocationReason, now = new Date()): { db: RevocationDb; entry: RevokedEntry; already: boolean } {
  if (cert.fingerprintSha256 === ca.cert.fingerprintSha256) {
    throw new PkiInputError(`'${cert.subjectText}' is the CA itself: a CA's own CRL cannot revoke it; stop trusting it (remove it from inbound.tls.caFiles) instead`);
  }
  if (!cert.x509.checkIssued(ca.cert.x509) || !cert.x509.verify(ca.cert.publicKey)) {
    throw new PkiInputError(`certificate '${cert.subjectText}' was not issued by this CA ('${ca.cert.subjectText}'): only the CA that signed a certificate can revoke it`);
  }
  const serial = cert.serial.toUpperCase();
  const existing = db.revoked.find((e) => e.serial.toUpperCase() === serial);
  if (existing) return { db, entry: existing, already: true };
  const entry: RevokedEntry = { serial, revokedAt: now.toISOString(), reason, subject: cert.subjectText, notAfter: cert.notAfter.toISOString() };
  return { db: { ...db, revoked: [...db.revoked, entry] }, entry, already: false };
}

export interface IssuedCrl {
  readonly pem: string;
  readonly der: Buffer;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: number;
}

/**
 * Build and sign the CRL. Entries of certificates that expired before thisUpdate are left out
 * (RFC 5280 §5: a CRL need not list expired certificates), which keeps the list short.
 */
export function issueCrl(ca: LoadedCa, db: RevocationDb, opts: { days: number; now?: Date }): IssuedCrl {
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 366) throw new PkiInputError(`--days: a CRL's validity is 1 to 366 days, got ${opts.days}`);
  const thisUpdate = opts.now ?? new Date();
  const nextUpdate = new Date(thisUpdate.getTime() + opts.days * 86_400_000);
  const crlNumber = db.crlNumber + 1;
  const { sigOid, hash } = signatureFor(ca);
  const live = db.revoked.filter((e) => Date.parse(e.notAfter) > thisUpdate.getTime());
  const entries = live.map((e) =>
    seq([
      integerBytes(serialBytes(e.serial)),
      time(new Date(e.revokedAt)),
      seq([seq([oid(OID_REASON_CODE), octetString(writeDer(enumerated(REVOCATION_REASONS[e.reason])).toString('binary'))])]),
    ]),
  );
  const akid = ca.cert.extensions.subjectKeyIdentifier ? Buffer.from(ca.cert.extensions.subjectKeyIdentifier.replace(/:/g, ''), 'hex') : keyIdentifier(ca.cert.publicKey);
  const extensions = seq([
    seq([oid(OID.authorityKeyIdentifier), octetString(writeDer(seq([implicitOctets(0, akid)])).toString('binary'))]),
    seq([oid(OID_CRL_NUMBER), octetString(writeDer(smallInteger(crlNumber)).toString('binary'))]),
  ]);
  const tbs = seq([
    smallInteger(1),
    signatureAlgorithm(sigOid),
    issuerName(ca.cert),
    time(thisUpdate),
    time(nextUpdate),
    ...(entries.length > 0 ? [seq(entries)] : []),
    explicit(0, [extensions]),
  ]);
  const signature = sign(hash, writeDer(tbs), ca.key);
  const der = writeDer(seq([tbs, signatureAlgorithm(sigOid), bitString(signature)]));
  return { pem: toPem(der, 'X509 CRL'), der, crlNumber, thisUpdate, nextUpdate, entries: entries.length };
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON_CODE = '2.5.29.21';

function implicitOctets(tag: number, bytes: Buffer): Asn1 {
  return implicitPrimitive(tag, bytes.toString('binary'));
}

/** A positive INTEGER's content octets from OpenSSL's hex spelling. */
function serialBytes(hex: string): string {
  let bytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] ?? 0) & 0x80) === 0) bytes = bytes.subarray(1);
  if (((bytes[0] ?? 0) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return bytes.toString('binary');
}

/** The CA's subject as encoded in its certificate, so the CRL issuer matches it byte for byte. */
function issuerName(cert: CertificateInfo): Asn1 {
  const fields = children(children(readDer(cert.der, 'CA certificate'), 'CA certificate')[0], 'CA certificate');
  const offset = fields[0]?.tagClass === Class.CONTEXT_SPECIFIC ? 1 : 0;
  return fields[4 + offset] as Asn1;
}

function signatureFor(ca: LoadedCa): { sigOid: string; hash: string } {
  const desc = describeKey(ca.key);
  if (desc.type === 'rsa') return { sigOid: OID.sha256WithRSAEncryption, hash: 'sha256' };
  if (desc.type === 'ec' && desc.curve === 'P-256') return { sigOid: OID.ecdsaWithSha256, hash: 'sha256' };
  if (desc.type === 'ec' && desc.curve === 'P-384') return { sigOid: OID.ecdsaWithSha384, hash: 'sha384' };
  throw new PkiInputError(`cannot sign a CRL with a ${desc.text} key`);
}

