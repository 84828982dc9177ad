/**
 * X.509 v3 extensions (RFC 5280 §4.2): the fixed sets we put into each kind of certificate and
 * request, and a decoder that turns any certificate's or request's extensions into plain data for
 * inspection and policy checks. Encoded here rather than through forge's extension helpers so
 * RSA and EC subjects share one path and every byte is under test.
 */
import { createHash, type KeyObject } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import forge from 'node-forge';
import {
  Class,
  OID,
  Type,
  boolean,
  bytesOf,
  children,
  implicitPrimitive,
  octetString,
  oid,
  oidOf,
  readDerValue,
  seq,
  smallInteger,
  toBinary,
  writeDer,
  type Asn1,
} from './der.js';
import { PkiInputError } from './errors.js';
import { colonHex, spkiDer } from './keys.js';

/** What a certificate is for; decides basicConstraints, keyUsage and extendedKeyUsage. */
export type Profile = 'ca' | 'server' | 'client' | 'jws';

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  uri: string[];
  email: string[];
  /** Other GeneralName forms, as `type:tag` markers; the policy refuses them. */
  other: string[];
}

export interface ExtensionSummary {
  basicConstraints?: { ca: boolean; pathLength: number | undefined; critical: boolean };
  keyUsage?: { usages: string[]; critical: boolean };
  extKeyUsage?: { usages: string[]; critical: boolean };
  subjectAltName?: SubjectAltNames;
  /** Colon hex. */
  subjectKeyIdentifier?: string;
  /** Colon hex of the keyIdentifier field. */
  authorityKeyIdentifier?: string;
  /** Extensions not decoded above, by OID. */
  others: Array<{ oid: string; critical: boolean }>;
}

interface Extension {
  oid: string;
  critical: boolean;
  value: Asn1;
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

const EKU_NAMES: Readonly<Record<string, string>> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

// ---------------------------------------------------------------------------------------------
// Building

export interface AltNameInput {
  dns?: readonly string[];
  ip?: readonly string[];
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents; OpenSSL does the same. */
export function keyIdentifier(key: KeyObject): Buffer {
  const spki = readDerValue(toBinary(spkiDer(key)), 'public key');
  const bits = bytesOf(children(spki, 'public key')[1], 'public key');
  return createHash('sha1').update(Buffer.from(bits.slice(1), 'binary')).digest();
}

/**
 * Extensions of an issued certificate. keyEncipherment only for RSA subjects: it names RSA key
 * transport, which an EC key cannot do (RFC 8813 §3).
 */
export function certificateExtensions(options: {
  profile: Profile;
  subjectKey: KeyObject;
  /** keyIdentifier for AKI: the issuer's SKI (or the subject's own for self-signed). */
  authorityKeyId: Buffer;
  altNames?: AltNameInput;
  pathLength?: number;
}): Asn1 {
  const exts: Extension[] = [];
  const rsa = options.subjectKey.asymmetricKeyType === 'rsa';
  if (options.profile === 'ca') {
    exts.push(basicConstraints(true, options.pathLength));
    exts.push(keyUsage(['keyCertSign', 'cRLSign'], true));
  } else {
    exts.push(basicConstraints(false));
    const usages: KeyUsage[] = options.profile === 'jws' || !rsa ? ['digitalSignature'] : ['digitalSignature', 'keyEncipherment'];
    exts.push(keyUsage(usages, true));
    if (options.profile === 'server') exts.push(extKeyUsage([OID.serverAuth]));
    if (options.profile === 'client') exts.push(extKeyUsage([OID.clientAuth]));
  }
  const san = subjectAltName(options.altNames);
  if (san) exts.push(san);
  exts.push({ oid: OID.subjectKeyIdentifier, critical: false, value: octetString(toBinary(keyIdentifier(options.subjectKey))) });
  exts.push({
    oid: OID.authorityKeyIdentifier,
    critical: false,
    value: seq([implicitPrimitive(0, toBinary(options.authorityKeyId))]),
  });
  return seq(exts.map(encodeExtension));
}

/** Extensions a CSR asks for (PKCS#9 extensionRequest); the signer decides what is granted. */
export function requestedExtensions(options: { profile: 'server' | 'client'; subjectKey: KeyObject; altNames?: AltNameInput }): Asn1 {
  const rsa = options.subjectKey.asymmetricKeyType === 'rsa';
  const exts: Extension[] = [
    basicConstraints(false),
    keyUsage(rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'], true),
    extKeyUsage([options.profile === 'server' ? OID.serverAuth : OID.clientAuth]),
  ];
  const san = subjectAltName(options.altNames);
  if (san) exts.push(san);
  return seq(exts.map(encodeExtension));
}

function encodeExtension(ext: Extension): Asn1 {
  const parts: Asn1[] = [oid(ext.oid)];
  // DER: a DEFAULT FALSE boolean is omitted when false (X.690 §11.5).
  if (ext.critical) parts.push(boolean(true));
  parts.push(octetString(writeDer(ext.value).toString('binary')));
  return seq(parts);
}

function basicConstraints(ca: boolean, pathLength?: number): Extension {
  const parts: Asn1[] = [];
  if (ca) parts.push(boolean(true));
  if (ca && pathLength !== undefined) parts.push(smallInteger(pathLength));
  return { oid: OID.basicConstraints, critical: true, value: seq(parts) };
}

function keyUsage(usages: readonly KeyUsage[], critical: boolean): Extension {
  const bits = usages.map((u) => KEY_USAGE_BITS.indexOf(u));
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  // DER named bit list: trailing zero bits are dropped and counted as "unused" (X.690 §11.2.2).
  const unused = bytes.length * 8 - (last + 1);
  const value = forge.asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unused) + toBinary(bytes));
  return { oid: OID.keyUsage, critical, value };
}

function extKeyUsage(oids: readonly string[]): Extension {
  return { oid: OID.extKeyUsage, critical: false, value: seq(oids.map(oid)) };
}

function subjectAltName(alt: AltNameInput | undefined): Extension | undefined {
  const names: Asn1[] = [];
  for (const dns of alt?.dns ?? []) names.push(implicitPrimitive(2, checkDnsName(dns)));
  for (const ip of alt?.ip ?? []) names.push(implicitPrimitive(7, Buffer.from(parseIp(ip).toByteArray()).toString('binary')));
  return names.length === 0 ? undefined : { oid: OID.subjectAltName, critical: false, value: seq(names) };
}

/** A DNS SAN: ASCII labels (IDNs in their xn-- form), an optional leading `*.` wildcard. */
export function checkDnsName(name: string): string {
  const host = name.trim().replace(/\.$/, '');
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  const labels = bare.split('.');
  const ok =
    host.length > 0 &&
    host.length <= 253 &&
    labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok) throw new PkiInputError(`'${name}' is not a valid DNS name for a certificate (letters, digits, '-', optional leading '*.'; IDNs in xn-- form)`);
  return host;
}

export function parseIp(value: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const text = value.trim();
  // ipaddr.parse accepts legacy forms like "127.1"; only the canonical dotted quad or IPv6 text is an address here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !(text.includes(':') && ipaddr.IPv6.isValid(text))) {
    throw new PkiInputError(`'${value}' is not an IP address`);
  }
  return ipaddr.parse(text);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes an Extensions SEQUENCE (from a certificate's [3] or a CSR's extensionRequest). */
export function decodeExtensions(node: Asn1 | undefined, what: string): ExtensionSummary {
  const out: ExtensionSummary = { others: [] };
  if (!node) return out;
  for (const ext of children(node, what)) {
    const parts = children(ext, what);
    const extOid = oidOf(parts[0], what);
    const critical = parts.length === 3 && parts[1]?.type === Type.BOOLEAN && bytesOf(parts[1], what) !== '\u0000';
    const valueNode = parts[parts.length - 1];
    const label = `${what} extension ${extOid}`;
    const value = readDerValue(bytesOf(valueNode, label), label);
    switch (extOid) {
      case OID.basicConstraints: {
        const items = children(value, label);
        const ca = items[0]?.type === Type.BOOLEAN ? bytesOf(items[0], label) !== '\u0000' : false;
        const lenNode = items.find((i) => i.type === Type.INTEGER);
        const pathLength = lenNode ? forge.asn1.derToInteger(bytesOf(lenNode, label)) : undefined;
        out.basicConstraints = { ca, pathLength, critical };
        break;
      }
      case OID.keyUsage:
        out.keyUsage = { usages: decodeKeyUsage(bytesOf(value, label)), critical };
        break;
      case OID.extKeyUsage:
        out.extKeyUsage = { usages: children(value, label).map((n) => EKU_NAMES[oidOf(n, label)] ?? oidOf(n, label)), critical };
        break;
      case OID.subjectAltName:
        out.subjectAltName = decodeAltNames(value, label);
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyIdentifier = colonHex(Buffer.from(bytesOf(value, label), 'binary'));
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(value, label).find((n) => n.tagClass === Class.CONTEXT_SPECIFIC && (n.type as number) === 0);
        if (keyId) out.authorityKeyIdentifier = colonHex(Buffer.from(bytesOf(keyId, label), 'binary'));
        break;
      }
      default:
        out.others.push({ oid: extOid, critical });
    }
  }
  return out;
}

function decodeKeyUsage(bin: string): string[] {
  const bytes = Buffer.from(bin.slice(1), 'binary');
  return KEY_USAGE_BITS.filter((_, bit) => ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0);
}

function decodeAltNames(node: Asn1, what: string): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], ip: [], uri: [], email: [], other: [] };
  for (const name of children(node, what)) {
    const tag = name.type as number;
    if (name.tagClass !== Class.CONTEXT_SPECIFIC) {
      out.other.push(`universal:${tag}`);
      continue;
    }
    if (tag === 2 && typeof name.value === 'string') out.dns.push(Buffer.from(name.value, 'binary').toString('latin1'));
    else if (tag === 1 && typeof name.value === 'string') out.email.push(Buffer.from(name.value, 'binary').toString('latin1'));
    else if (tag === 6 && typeof name.value === 'string') out.uri.push(Buffer.from(name.value, 'binary').toString('latin1'));
    else if (tag === 7 && typeof name.value === 'string') {
      const bytes = [...Buffer.from(name.value, 'binary')];
      out.ip.push(bytes.length === 4 || bytes.length === 16 ? ipaddr.fromByteArray(bytes).toString() : `invalid(${bytes.length} bytes)`);
    } else out.other.push(['otherName', 'rfc822Name', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'URI', 'iPAddress', 'registeredID'][tag] ?? `tag:${tag}`);
  }
  return out;
}
