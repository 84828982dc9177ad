/**
 * Our own JWS signing key: PEM in, an imported KeyObject out, once per (re)load. The hot path
 * never parses PEM: passing PEM per call is what makes the SDK signer 4× slower than crypto.sign
 * (perf-baseline §2).
 *
 * The algorithm follows the key, not the PEM label: RSA → RS256, P-256 → ES256. (The SDK looks for
 * the text `BEGIN EC ` and so signs a PKCS#8 EC key as RS256, which fails; reference §2.4.)
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Pkcs11KeyRef } from '../pkcs11/token.js';
import { classifyKey, cryptoKeyArg, type CryptoKeyArg, type SigningAlgorithm } from './algorithms.js';

/**
 * A key we sign with: imported from a PEM file into this process, or held in a PKCS#11 token
 * (src/crypto/pkcs11/token.ts) where the sidecar only ever sees its public half. Both kinds are
 * plain structured-clone data, so either can be posted to a signing worker.
 */
export type SigningKey = FileSigningKey | TokenSigningKey;

export interface TokenSigningKey {
  readonly kind: 'pkcs11';
  readonly ref: Pkcs11KeyRef;
  readonly publicKey: KeyObject;
  readonly alg: SigningAlgorithm;
  /** SHA-256 of the DER SubjectPublicKeyInfo, upper-case colon hex. */
  readonly fingerprint: string;
}

export interface FileSigningKey {
  readonly kind: 'file';
  readonly keyObject: KeyObject;
  readonly publicKey: KeyObject;
  readonly alg: SigningAlgorithm;
  /** SHA-256 of the DER SubjectPublicKeyInfo, upper-case colon hex (as `openssl … -fingerprint`). */
  readonly fingerprint: string;
  /** What `crypto.sign` takes for this key (ES256 needs raw r||s). */
  readonly signKey: CryptoKeyArg;
}

/** SHA-256 over the DER SPKI of a key: the same value for a key, its certificate and its JWK. */
export function spkiFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const digest = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return digest.toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/**
 * Imports a PKCS#1, PKCS#8 or SEC1 PEM private key. Throws an Error whose message says what is
 * wrong with the file (never the key material): public keys, certificates, encrypted keys, RSA
 * under 2048 bits and curves other than P-256 are refused.
 */
export function loadSigningKey(pem: string | Buffer): FileSigningKey {
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  const labels = [...text.matchAll(PEM_LABEL)].map((m) => m[1]!);
  if (labels.length === 0) throw new Error('not a PEM file (no -----BEGIN ...----- line); expected a PKCS#1, PKCS#8 or SEC1 private key');
  if (labels.includes('ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw new Error('the private key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)');
  }
  const keyLabels = labels.filter((l) => l === 'PRIVATE KEY' || l === 'RSA PRIVATE KEY' || l === 'EC PRIVATE KEY');
  if (keyLabels.length === 0) {
    const what = labels.includes('CERTIFICATE') ? 'a certificate' : labels.some((l) => l.includes('PUBLIC KEY')) ? 'a public key' : `a '${labels[0]}' block`;
    throw new Error(`this is ${what}, not a private key; the signing key must be PKCS#1, PKCS#8 or SEC1`);
  }
  if (keyLabels.length > 1) throw new Error('the file holds more than one private key; keep one key per file');
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new Error(`cannot parse the private key (${(err as { code?: string }).code ?? 'invalid PEM'})`);
  }
  const kind = classifyKey(keyObject);
  if (kind !== 'rsa' && kind !== 'ec') throw new Error(kind);
  const publicKey = createPublicKey(keyObject);
  return Object.freeze({
    kind: 'file' as const,
    keyObject,
    publicKey,
    alg: kind === 'rsa' ? 'RS256' : 'ES256',
    fingerprint: spkiFingerprint(publicKey),
    signKey: cryptoKeyArg(keyObject, kind),
  });
}
