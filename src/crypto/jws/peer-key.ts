/**
 * One file of the peer key directory → the public keys it holds.
 *
 * Naming (the file's base name *is* the FSPIOP-Source value, compared exactly, case-sensitively,
 * as the SDK does; reference §5):
 *   <fspId>.pem        SPKI public key, PKCS#1 RSA public key, or an X.509 certificate (the first
 *                      certificate is the key; any further ones, a chain, are ignored)
 *   <fspId>.json       a public JWK, or a JWK Set {"keys": [...]} (every key in it counts)
 *   <fspId>.next.pem   a second key for the same source during a rotation (also .next.json)
 * Names starting with '.' (Kubernetes `..data` and friends) and other extensions are ignored, so
 * an FSP id that itself ends in `.next` cannot have keys here.
 *
 * Refused, with the file's error reported and its previous keys kept (key-store.ts): private keys
 * (they do not belong in a directory of peer keys), RSA under 2048 bits, curves other than P-256,
 * more than one public key in one PEM file (use `.next.pem`), unparsable content.
 */
import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { classifyKey, cryptoKeyArg, type CryptoKeyArg, type KeyKind } from './algorithms.js';
import { spkiFingerprint } from './signing-key.js';

export type KeySlot = 'current' | 'next';

export interface PeerKey {
  /** The FSPIOP-Source this key verifies. */
  readonly source: string;
  /** File name inside the key directory. */
  readonly file: string;
  readonly slot: KeySlot;
  readonly kind: KeyKind;
  readonly keyObject: KeyObject;
  /** What `crypto.verify` takes for this key (ES256 signatures are raw r||s). */
  readonly verifyKey: CryptoKeyArg;
  /** SHA-256 of the DER SubjectPublicKeyInfo, upper-case colon hex. */
  readonly fingerprint: string;
  /** Certificate notAfter; undefined for bare public keys and JWKs. Not enforced when verifying. */
  readonly notAfter: Date | undefined;
}

export interface KeyFileName {
  readonly source: string;
  readonly slot: KeySlot;
  readonly format: 'pem' | 'json';
}

/** How a directory entry name maps to a source and slot; undefined when it is not a key file. */
export function keyFileName(name: string): KeyFileName | undefined {
  if (name.startsWith('.')) return undefined;
  let format: 'pem' | 'json';
  let stem: string;
  if (name.endsWith('.pem')) {
    format = 'pem';
    stem = name.slice(0, -4);
  } else if (name.endsWith('.json')) {
    format = 'json';
    stem = name.slice(0, -5);
  } else {
    return undefined;
  }
  let slot: KeySlot = 'current';
  if (stem.endsWith('.next')) {
    slot = 'next';
    stem = stem.slice(0, -5);
  }
  if (stem.length === 0) return undefined;
  return { source: stem, slot, format };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

interface RawKey {
  readonly keyObject: KeyObject;
  readonly notAfter: Date | undefined;
}

function fromPem(text: string): RawKey[] {
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, endLabel: m[3]!, pem: m[0] }));
  if (blocks.length === 0) throw new Error('no PEM block found; expected a public key or certificate');
  for (const b of blocks) if (b.label !== b.endLabel) throw new Error(`PEM block BEGIN ${b.label} ends with END ${b.endLabel}`);
  if (blocks.some((b) => b.label.includes('PRIVATE KEY'))) {
    throw new Error('holds a private key; this directory is for peer public keys only (and that private key is now exposed: replace it)');
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  const keys = blocks.filter((b) => b.label === 'PUBLIC KEY' || b.label === 'RSA PUBLIC KEY');
  if (certs.length > 0 && keys.length > 0) throw new Error('holds both a certificate and a public key; keep one key per file');
  if (keys.length > 1) throw new Error('holds more than one public key; put the second key in <fspId>.next.pem');
  if (certs.length > 0) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certs[0]!.pem);
    } catch {
      throw new Error('the certificate cannot be parsed');
    }
    return [{ keyObject: cert.publicKey, notAfter: new Date(cert.validTo) }];
  }
  if (keys.length === 0) throw new Error(`no public key or certificate (found ${blocks.map((b) => b.label).join(', ')})`);
  try {
    return [{ keyObject: createPublicKey({ key: keys[0]!.pem, format: 'pem' }), notAfter: undefined }];
  } catch {
    throw new Error('the public key cannot be parsed');
  }
}

function fromJwk(jwk: unknown, where: string): RawKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error(`${where} is not a JWK object`);
  const k = jwk as Record<string, unknown>;
  if ('d' in k) throw new Error(`${where} is a private JWK; this directory is for peer public keys only`);
  if (k.kty !== 'RSA' && k.kty !== 'EC') throw new Error(`${where} has kty ${JSON.stringify(k.kty)}; expected RSA or EC`);
  try {
    return { keyObject: createPublicKey({ key: k as JsonWebKey, format: 'jwk' }), notAfter: undefined };
  } catch {
    throw new Error(`${where} cannot be imported as a public key`);
  }
}

function fromJson(text: string): RawKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON; expected a JWK or a JWK Set');
  }
  if (typeof doc === 'object' && doc !== null && 'keys' in doc) {
    const keys = (doc as { keys: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) throw new Error('JWK Set "keys" must be a non-empty array');
    return keys.map((jwk, i) => fromJwk(jwk, `keys[${i}]`));
  }
  return [fromJwk(doc, 'the JWK')];
}

/**
 * Parses one key file. Throws an Error with a one-line reason (never key material) when the file
 * cannot be used. Keys repeated within the file (same SPKI) are kept once.
 */
export function parsePeerKeyFile(file: string, name: KeyFileName, bytes: Buffer): PeerKey[] {
  const text = bytes.toString('utf8');
  const raw = name.format === 'pem' ? fromPem(text) : fromJson(text);
  const out: PeerKey[] = [];
  for (const r of raw) {
    const kind = classifyKey(r.keyObject);
    if (kind !== 'rsa' && kind !== 'ec') throw new Error(kind);
    const fingerprint = spkiFingerprint(r.keyObject);
    if (out.some((k) => k.fingerprint === fingerprint)) continue;
    out.push(
      Object.freeze({
        source: name.source,
        file,
        slot: name.slot,
        kind,
        keyObject: r.keyObject,
        verifyKey: cryptoKeyArg(r.keyObject, kind),
        fingerprint,
        notAfter: r.notAfter,
      }),
    );
  }
  return out;
}
