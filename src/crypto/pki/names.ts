/**
 * Distinguished names: building the subjects we issue, reading the ones we are given, and the
 * one-line text form used in output (attributes in encoded order, as `openssl x509 -subject`
 * prints them, e.g. `C=KE, O=Example Bank, CN=payerfsp`).
 *
 * Encoding choice (RFC 5280 §4.1.2.4): UTF8String for every attribute except countryName, which
 * X.520 fixes as PrintableString. PrintableString would silently mangle an `_` or a non-ASCII
 * letter in an organisation name.
 */
import forge from 'node-forge';
import { Class, Type, bytesOf, children, oidOf, type Asn1 } from './der.js';
import { PkiInputError } from './errors.js';

export interface SubjectFields {
  /** commonName: a host name for TLS certificates, the FSP id for JWS certificates. */
  cn: string;
  /** organizationName. The scheme requires it in CSRs. */
  o?: string;
  /** organizationalUnitName. */
  ou?: string;
  /** countryName, ISO 3166 alpha-2 (e.g. `KE`). The scheme requires it in CSRs. */
  c?: string;
  /** localityName. */
  l?: string;
  /** stateOrProvinceName. */
  st?: string;
}

export interface NameAttribute {
  /** Dotted OID. */
  readonly oid: string;
  /** Short name when known (`CN`, `O`, `C`, ...), else the OID. */
  readonly type: string;
  readonly value: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** Most significant first, the order OpenSSL and most CAs use. */
const FIELD_ORDER: ReadonlyArray<[keyof SubjectFields, string]> = [
  ['c', '2.5.4.6'],
  ['st', '2.5.4.8'],
  ['l', '2.5.4.7'],
  ['o', '2.5.4.10'],
  ['ou', '2.5.4.11'],
  ['cn', '2.5.4.3'],
];

/** X.520 upper bounds (ub-common-name etc.); a longer value is refused by strict CAs. */
const MAX_LENGTH: Readonly<Record<keyof SubjectFields, number>> = { cn: 64, o: 64, ou: 64, c: 2, l: 128, st: 128 };

/** Validates and normalises (country upper-cased, values trimmed); throws PkiInputError naming the field. */
export function normaliseSubject(fields: SubjectFields): SubjectFields {
  const out: SubjectFields = { cn: '' };
  for (const [key] of FIELD_ORDER) {
    const raw = fields[key];
    if (raw === undefined) continue;
    const value = raw.trim();
    if (value.length === 0) throw new PkiInputError(`subject ${key.toUpperCase()} must not be empty`);
    if (key === 'c' && !/^[A-Za-z]{2}$/.test(value)) throw new PkiInputError(`subject C must be a two-letter ISO 3166 country code, got '${value}'`);
    if ([...value].length > MAX_LENGTH[key]) {
      throw new PkiInputError(`subject ${key.toUpperCase()} is longer than ${MAX_LENGTH[key]} characters`);
    }
    // Control characters in a DN break every text rendering of it and are never intended.
    if (/\p{Cc}/u.test(value)) throw new PkiInputError(`subject ${key.toUpperCase()} contains control characters`);
    out[key] = value;
  }
  if (!out.cn) throw new PkiInputError('subject CN is required');
  if (out.c !== undefined) out.c = out.c.toUpperCase();
  return out;
}

export function subjectToAsn1(fields: SubjectFields): Asn1 {
  const attributes = FIELD_ORDER.filter(([key]) => fields[key] !== undefined).map(([key, oid]) => ({
    type: oid,
    value: fields[key] as string,
    valueTagClass: key === 'c' ? Type.PRINTABLESTRING : Type.UTF8,
  }));
  return forge.pki.distinguishedNameToAsn1({ attributes: attributes as unknown as forge.pki.CertificateField[] });
}

/** Reads a Name (SEQUENCE OF RDN); multi-valued RDNs are flattened in encoded order. */
export function readName(node: Asn1 | undefined, what: string): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(node, what)) {
    for (const atv of children(rdn, what)) {
      const [typeNode, valueNode] = children(atv, what);
      const oid = oidOf(typeNode, what);
      out.push({ oid, type: SHORT_NAMES[oid] ?? oid, value: decodeString(valueNode, what) });
    }
  }
  return out;
}

function decodeString(node: Asn1 | undefined, what: string): string {
  if (!node || node.tagClass !== Class.UNIVERSAL) throw new PkiInputError(`${what}: unexpected attribute value`);
  const bin = bytesOf(node, what);
  const bytes = Buffer.from(bin, 'binary');
  switch (node.type as number) {
    case Type.UTF8:
      return bytes.toString('utf8');
    case Type.BMPSTRING:
      return bytes.length % 2 === 0 ? Buffer.from(bytes).swap16().toString('utf16le') : bytes.toString('latin1');
    case 28: {
      // UniversalString: UCS-4 big-endian.
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    default:
      return bytes.toString('latin1');
  }
}

/** `C=KE, O=Example Bank, CN=payerfsp`; `,` `+` `=` `\` in values are escaped as in RFC 4514. */
export function formatName(attrs: readonly NameAttribute[]): string {
  return attrs.map((a) => `${a.type}=${a.value.replace(/([,+=\\])/g, '\\$1')}`).join(', ');
}

/** All values of one attribute, by short name or OID. */
export function nameValues(attrs: readonly NameAttribute[], type: string): string[] {
  return attrs.filter((a) => a.type === type || a.oid === type).map((a) => a.value);
}

export function firstValue(attrs: readonly NameAttribute[], type: string): string | undefined {
  return nameValues(attrs, type)[0];
}
