/**
 * Key pairs come from node:crypto (native, fast; forge's pure-JS RSA generation takes seconds).
 * Private keys leave this module only as PEM in a format chosen on purpose: PKCS#8 for TLS keys,
 * PKCS#1 / SEC1 for JWS keys (see jws-keys.ts for why the label matters there).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { PkiInputError } from './errors.js';

const generateKeyPairAsync = promisify(generateKeyPairCb);

export type KeyType = 'rsa' | 'ec';

export interface KeyDescription {
  /** `rsa`, `ec`, or node's name for anything else we may be shown (`ed25519`, `rsa-pss`, ...). */
  readonly type: string;
  /** RSA modulus length in bits, or the EC field size (256 for P-256). */
  readonly bits: number | undefined;
  /** EC curve in NIST naming (`P-256`), when EC. */
  readonly curve: string | undefined;
  /** `RSA 2048`, `EC P-256`. */
  readonly text: string;
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The scheme floor (Mojaloop PKI best practices: RSA ≥ 2048). */
export const MIN_RSA_BITS = 2048;
export const DEFAULT_RSA_BITS = 2048;

const CURVES: Readonly<Record<string, { nist: string; bits: number }>> = {
  prime256v1: { nist: 'P-256', bits: 256 },
  secp384r1: { nist: 'P-384', bits: 384 },
  secp521r1: { nist: 'P-521', bits: 521 },
  secp256k1: { nist: 'secp256k1', bits: 256 },
};

export function parseKeyType(value: string): KeyType {
  if (value === 'rsa' || value === 'ec') return value;
  throw new PkiInputError(`key type must be 'rsa' or 'ec', got '${value}'`);
}

/**
 * RSA: `keySize` bits (2048..8192, multiple of 256). EC: P-256, or P-384 with keySize 384; EC keys
 * exist for fast TLS in tests and private deployments, the scheme rules themselves require RSA.
 */
export async function generateKeyPair(options: { keyType?: KeyType; keySize?: number } = {}): Promise<KeyPair> {
  const keyType = options.keyType ?? 'rsa';
  if (keyType === 'ec') {
    const size = options.keySize ?? 256;
    if (size !== 256 && size !== 384) throw new PkiInputError(`EC key size must be 256 (P-256) or 384 (P-384), got ${size}`);
    return generateKeyPairAsync('ec', { namedCurve: size === 256 ? 'prime256v1' : 'secp384r1' });
  }
  const bits = options.keySize ?? DEFAULT_RSA_BITS;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192 || bits % 256 !== 0) {
    throw new PkiInputError(`RSA key size must be a multiple of 256 between ${MIN_RSA_BITS} and 8192, got ${bits}`);
  }
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

export function describeKey(key: KeyObject): KeyDescription {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength;
    return { type, bits, curve: undefined, text: `${type === 'rsa' ? 'RSA' : 'RSA-PSS'} ${bits ?? '?'}` };
  }
  if (type === 'ec') {
    const named = details.namedCurve ?? 'unknown';
    const curve = CURVES[named];
    return { type, bits: curve?.bits, curve: curve?.nist ?? named, text: `EC ${curve?.nist ?? named}` };
  }
  return { type, bits: undefined, curve: undefined, text: type.toUpperCase() };
}

/** SubjectPublicKeyInfo DER of a public key, or of the public half of a private key. */
export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

/** `AB:CD:...`, the form OpenSSL and node's X509Certificate.fingerprint256 print. */
export function colonHex(digest: Buffer): string {
  return digest.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export function sha256Fingerprint(der: Uint8Array): string {
  return colonHex(createHash('sha256').update(der).digest());
}

export function spkiSha256(key: KeyObject): string {
  return sha256Fingerprint(spkiDer(key));
}

export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return spkiDer(a).equals(spkiDer(b));
}

export type PrivateKeyFormat = 'pkcs8' | 'pkcs1' | 'sec1';

export function privateKeyPem(key: KeyObject, format: PrivateKeyFormat = 'pkcs8'): string {
  if (format === 'pkcs1' && key.asymmetricKeyType !== 'rsa') throw new PkiInputError('PKCS#1 is for RSA keys only');
  if (format === 'sec1' && key.asymmetricKeyType !== 'ec') throw new PkiInputError('SEC1 is for EC keys only');
  return key.export({ type: format, format: 'pem' }) as string;
}

/** Encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2 with AES-256-CBC): for a CA key kept at rest. */
export function encryptedPrivateKeyPem(key: KeyObject, passphrase: string): string {
  if (passphrase.length === 0) throw new PkiInputError('a key passphrase must not be empty');
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * Loads a private key from PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8 or legacy encrypted PEM)
 * or DER (PKCS#8, PKCS#1, SEC1). OpenSSL's message is replaced by one naming the source only;
 * `passphraseFlag` is the CLI flag to suggest when the key turns out to be encrypted.
 */
export function loadPrivateKey(data: string | Uint8Array, source: string, passphrase?: string, passphraseFlag = '--passphrase-file'): KeyObject {
  const text = typeof data === 'string' ? data : undefined;
  // Decided from the PEM itself: OpenSSL 3 only reports "interrupted or cancelled" when asked to
  // read an encrypted key without a passphrase.
  if (text !== undefined && passphrase === undefined && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw new PkiInputError(`${source}: the private key is encrypted; give its passphrase with ${passphraseFlag}`);
  }
  try {
    if (text !== undefined) return createPrivateKey(passphrase === undefined ? { key: text } : { key: text, passphrase });
  } catch (err) {
    throw new PkiInputError(privateKeyProblem(err, source, passphrase, passphraseFlag), { cause: err });
  }
  const der = Buffer.from(data as Uint8Array);
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type, ...(passphrase === undefined ? {} : { passphrase }) });
    } catch {
      // try the next container format
    }
  }
  throw new PkiInputError(`${source}: not a private key (PKCS#8, PKCS#1 or SEC1)`);
}

function privateKeyProblem(err: unknown, source: string, passphrase: string | undefined, flag: string): string {
  const code = (err as { code?: string }).code ?? '';
  if (/passphrase|ERR_MISSING_PASSPHRASE/i.test(`${code} ${(err as Error).message}`)) {
    return passphrase === undefined
      ? `${source}: the private key is encrypted; give its passphrase with ${flag}`
      : `${source}: cannot decrypt the private key (wrong passphrase?)`;
  }
  if (/bad decrypt/i.test((err as Error).message)) return `${source}: cannot decrypt the private key (wrong passphrase?)`;
  return `${source}: not a readable private key`;
}

export function loadPublicKey(data: string | Uint8Array, source: string): KeyObject {
  try {
    if (typeof data === 'string') return createPublicKey({ key: data });
    return createPublicKey({ key: Buffer.from(data), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiInputError(`${source}: not a readable public key`, { cause: err });
  }
}
