/**
 * Thin typed layer over node-forge's ASN.1 module, the one DER toolkit of the PKI code. forge works
 * on "binary strings" (one char per byte); these helpers keep that detail here. Parsing goes
 * through `readDer`, which turns every forge exception into a PkiInputError, so garbage input can
 * never surface as a stack trace.
 */
import forge from 'node-forge';
import { PkiInputError } from './errors.js';

export type Asn1 = forge.asn1.Asn1;
export const { Class, Type } = forge.asn1;

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  extensionRequest: '1.2.840.113549.1.9.14',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Signature algorithm OIDs by the names used in policies and output (OpenSSL's spelling). */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; hash: string | null }>> = {
  [OID.md5WithRSAEncryption]: { name: 'md5WithRSAEncryption', hash: 'md5' },
  [OID.sha1WithRSAEncryption]: { name: 'sha1WithRSAEncryption', hash: 'sha1' },
  [OID.sha256WithRSAEncryption]: { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  [OID.sha384WithRSAEncryption]: { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  [OID.sha512WithRSAEncryption]: { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  [OID.rsassaPss]: { name: 'rsassaPss', hash: null },
  [OID.ecdsaWithSha1]: { name: 'ecdsa-with-SHA1', hash: 'sha1' },
  [OID.ecdsaWithSha256]: { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  [OID.ecdsaWithSha384]: { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  [OID.ecdsaWithSha512]: { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  [OID.ed25519]: { name: 'ED25519', hash: null },
};

export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid]?.name ?? oid;
}

export function toBinary(data: Uint8Array): string {
  return Buffer.from(data).toString('binary');
}

export function fromBinary(bin: string): Buffer {
  return Buffer.from(bin, 'binary');
}

/**
 * Parses DER strictly: trailing bytes are an error, BIT STRINGs stay raw (signatures and keys are
 * read as bytes, not guessed at as nested DER).
 */
export function readDer(der: Uint8Array, what: string): Asn1 {
  if (der.length < 2 || der[0] !== 0x30) throw new PkiInputError(`${what} is not DER (expected an ASN.1 SEQUENCE)`);
  try {
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
    return forge.asn1.fromDer(toBinary(der), options as unknown as boolean);
  } catch (err) {
    throw new PkiInputError(`${what} is not valid DER (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

export function writeDer(node: Asn1): Buffer {
  return fromBinary(forge.asn1.toDer(node).getBytes());
}

export function children(node: Asn1 | undefined, what: string): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new PkiInputError(`${what}: unexpected ASN.1 structure`);
  return node.value;
}

export function bytesOf(node: Asn1 | undefined, what: string): string {
  if (!node || typeof node.value !== 'string') throw new PkiInputError(`${what}: unexpected ASN.1 structure`);
  return node.value;
}

export function oidOf(node: Asn1 | undefined, what: string): string {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.type !== Type.OID) {
    throw new PkiInputError(`${what}: expected an OID`);
  }
  return forge.asn1.derToOid(bytesOf(node, what));
}

/** Raw bytes of the element at `index` inside the outer SEQUENCE: the exact signed bytes of a TBS. */
export function rawChild(der: Uint8Array, index: number): Buffer {
  let offset = headerLength(der, 0);
  for (let i = 0; i <= index; i++) {
    const len = headerLength(der, offset) + contentLength(der, offset);
    if (i === index) return Buffer.from(der.subarray(offset, offset + len));
    offset += len;
  }
  throw new PkiInputError('unexpected DER structure');
}

function headerLength(der: Uint8Array, offset: number): number {
  const first = der[offset + 1];
  if (first === undefined) throw new PkiInputError('truncated DER');
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(der: Uint8Array, offset: number): number {
  const first = der[offset + 1];
  if (first === undefined) throw new PkiInputError('truncated DER');
  if (first < 0x80) return first;
  let len = 0;
  for (let i = 0; i < (first & 0x7f); i++) {
    const b = der[offset + 2 + i];
    if (b === undefined) throw new PkiInputError('truncated DER');
    len = len * 256 + b;
  }
  return len;
}

export function seq(items: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
}

export function set(items: Asn1[]): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SET, true, items);
}

export function oid(dotted: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(dotted).getBytes());
}

export function nullValue(): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, '');
}

export function integerBytes(bin: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, bin);
}

export function smallInteger(n: number): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.asn1.integerToDer(n).getBytes());
}

export function octetString(bin: string): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bin);
}

export function bitString(bytes: Uint8Array): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, `\u0000${toBinary(bytes)}`);
}

export function explicit(tag: number, inner: Asn1[]): Asn1 {
  return forge.asn1.create(Class.CONTEXT_SPECIFIC, tag, true, inner);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? forge.asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(date))
    : forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(date));
}

export function readTime(node: Asn1 | undefined, what: string): Date {
  const bin = bytesOf(node, what);
  const date = node?.type === Type.UTCTIME ? forge.asn1.utcTimeToDate(bin) : forge.asn1.generalizedTimeToDate(bin);
  if (Number.isNaN(date.getTime())) throw new PkiInputError(`${what}: invalid time`);
  return date;
}

/** AlgorithmIdentifier for a signature: RSA PKCS#1 carries NULL parameters, ECDSA none (RFC 5758 §3.2). */
export function signatureAlgorithm(sigOid: string): Asn1 {
  return sigOid.startsWith('1.2.840.113549.1.1.') ? seq([oid(sigOid), nullValue()]) : seq([oid(sigOid)]);
}

/** Parses a DER value of any type (extension values are BIT STRINGs, OCTET STRINGs, SEQUENCEs). */
export function readDerValue(bin: string, what: string): Asn1 {
  try {
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
    return forge.asn1.fromDer(bin, options as unknown as boolean);
  } catch (err) {
    throw new PkiInputError(`${what} is not valid DER`, { cause: err });
  }
}

/** ENUMERATED with a small non-negative value (a CRL entry's reasonCode). */
export function enumerated(n: number): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, forge.asn1.integerToDer(n).getBytes());
}

export function boolean(value: boolean): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, value ? '\u00ff' : '\u0000');
}

export function implicitPrimitive(tag: number, bin: string): Asn1 {
  return forge.asn1.create(Class.CONTEXT_SPECIFIC, tag, false, bin);
}
