/**
 * The JWS algorithms FSPIOP knows, as data. Signature_v1.1 allows RS256/RS384/RS512; the SDK
 * validators accept only RS256 and ES256 (sdk-standard-components #205 added ES256), so we sign
 * only with RS256 or ES256 and verify RS384/RS512 only when a policy enables them (trap T9).
 */
import type { KeyObject } from 'node:crypto';

export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256';
export type SigningAlgorithm = 'RS256' | 'ES256';
export type KeyKind = 'rsa' | 'ec';

export interface AlgorithmEntry {
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly kind: KeyKind;
}

export const ALGORITHMS: Readonly<Record<JwsAlgorithm, AlgorithmEntry>> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  ES256: { hash: 'sha256', kind: 'ec' },
};

/** What SDK validators accept, and our default allowlist. */
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'ES256'];

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHMS, value);
}

/** FSPIOP keys are RSA ≥ 2048 bits (PKI Best Practices) or, for ES256, P-256. */
export const MIN_RSA_BITS = 2048;

/**
 * The key argument for `crypto.sign`/`crypto.verify`: the KeyObject itself. JOSE ES256 signatures
 * are raw r||s (RFC 7518 §3.4); crypto works in DER, the default and the fast encoding on every
 * supported Node, and ecdsa.ts converts (see there why not `dsaEncoding: 'ieee-p1363'`).
 */
export type CryptoKeyArg = KeyObject;

export function cryptoKeyArg(keyObject: KeyObject, _kind: KeyKind): CryptoKeyArg {
  return keyObject;
}

/**
 * Checks a key's type and size; returns its kind or a human-readable reason it is unusable.
 * RSA-PSS keys (`rsa-pss`) cannot make RS256 signatures, so they are refused too.
 */
export function classifyKey(key: KeyObject): KeyKind | string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key is ${bits} bits; FSPIOP requires at least ${MIN_RSA_BITS}`;
    return 'rsa';
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'P-256') return `EC key on curve ${curve ?? 'unknown'}; ES256 needs P-256 (prime256v1)`;
    return 'ec';
  }
  return `${key.asymmetricKeyType ?? 'unknown'} keys cannot make RS256 or ES256 signatures`;
}
