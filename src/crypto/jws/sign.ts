/**
 * Outbound FSPIOP signing (reference §3.4): the exact body bytes to send and the headers to set.
 *
 * - Body: canonical JSON (compact, keys sorted recursively), and those bytes are what is sent, so
 *   signed bytes = sent bytes = what every validator version re-serialises to. Bodies no validator
 *   could verify are refused (canonical.ts), never signed as they are.
 * - `date`: the core's value only if it is already exactly `toUTCString()` form, else now; the hub
 *   re-formats any other value and breaks the signature (trap T5).
 * - `fspiop-uri`: service-relative, no host, base path or query (trap T4).
 * - `fspiop-http-method`: upper case; `fspiop-source`; `fspiop-destination` whenever known, in the
 *   HTTP headers and the protected header both (SDK receivers require both, trap T6).
 * - GET, HEAD, OPTIONS and DELETE are never signed (trap T11); PUT /parties is signed unless the
 *   policy says otherwise (the current SDK signs it, §3.1).
 *
 * The caller sends the returned body and sets the returned headers over the core's, dropping any
 * transfer-encoding; retries must resend both unchanged (trap T20).
 */
import { sign as cryptoSign } from 'node:crypto';
import { tokenSign, TokenError } from '../pkcs11/token.js';
import { derToJose } from './ecdsa.js';
import { SidecarError } from '../../shared/errors.js';
import { ALGORITHMS } from './algorithms.js';
import { canonicalizeJson } from './canonical.js';
import { fspiopResource, fspiopUri } from './resource.js';
import { buildProtectedHeader, formatSignatureHeader } from './signature-header.js';
import { signingInput } from './signing-input.js';
import type { SigningKey } from './signing-key.js';

export interface SignInput {
  readonly method: string;
  /** Request path as the core sent it (a base path and query are fine: they are not signed). */
  readonly path: string;
  /** The core's request headers, lower-case names. Only `date` and `fspiop-destination` are read. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array | undefined;
  /** Our FSP id for this request (FSPIOP-Source). */
  readonly source: string;
  /** Overrides the core's `fspiop-destination` header when given. */
  readonly destination?: string | undefined;
  readonly key: SigningKey;
  readonly now?: () => Date;
}

export interface SignPolicy {
  /** Sign PUT /parties and PUT /parties/.../error (default true, as the current SDK does). */
  readonly signPutParties: boolean;
}

export const DEFAULT_SIGN_POLICY: SignPolicy = Object.freeze({ signPutParties: true });

export interface SignResult {
  readonly signed: boolean;
  /** The bytes to send: canonical JSON when signed, the core's bytes otherwise. */
  readonly body: Buffer | undefined;
  /** Lower-case names: date, fspiop-source, fspiop-destination, and when signed fspiop-uri,
   *  fspiop-http-method, fspiop-signature; content-length whenever there is a body. */
  readonly headers: Readonly<Record<string, string>>;
}

const SIGNED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
// Printable ASCII with no leading or trailing blank: survives every HTTP stack unchanged.
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function headerValue(name: string, value: string): string {
  if (!HEADER_SAFE.test(value)) {
    throw new SidecarError('UNSIGNABLE_BODY', 'invalid_header', `${name} must be printable ASCII without leading or trailing blanks`);
  }
  return value;
}

/** The core's Date if it round-trips through `toUTCString()` unchanged, else now. */
export function fspiopDate(coreDate: string | undefined, now: () => Date): string {
  if (coreDate !== undefined && coreDate.length > 0) {
    const parsed = new Date(coreDate);
    if (!Number.isNaN(parsed.getTime()) && parsed.toUTCString() === coreDate) return coreDate;
  }
  return now().toUTCString();
}

/**
 * Signs one outbound request. Throws `SidecarError('UNSIGNABLE_BODY', reason, detail)` for a body
 * or header that cannot be signed verifiably, `SidecarError('SIGNING_FAILED', …)` if the key fails.
 */
export function signRequest(input: SignInput, policy: SignPolicy = DEFAULT_SIGN_POLICY): SignResult {
  const method = input.method.toUpperCase();
  const source = headerValue('FSPIOP-Source', input.source);
  const rawDestination = input.destination ?? input.headers['fspiop-destination'];
  const destination = rawDestination === undefined || rawDestination === '' ? undefined : headerValue('FSPIOP-Destination', rawDestination);
  const date = fspiopDate(input.headers['date'], input.now ?? (() => new Date()));

  const headers: Record<string, string> = { date, 'fspiop-source': source };
  if (destination !== undefined) headers['fspiop-destination'] = destination;

  const putParties = method === 'PUT' && fspiopResource(input.path) === 'parties';
  if (!SIGNED_METHODS.has(method) || (putParties && !policy.signPutParties)) {
    const body = input.body === undefined ? undefined : Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body);
    if (body !== undefined && body.length > 0) headers['content-length'] = String(body.length);
    return { signed: false, body, headers };
  }

  const uri = headerValue('FSPIOP-URI', fspiopUri(input.path));
  const body = canonicalizeJson(input.body ?? Buffer.alloc(0));
  const key = input.key;
  const protectedHeader = Buffer.from(buildProtectedHeader({ alg: key.alg, uri, method, source, destination, date }), 'utf8').toString('base64url');
  let signature: string;
  if (key.kind === 'pkcs11') {
    try {
      signature = tokenSign(key.ref, key.alg, signingInput(protectedHeader, body)).toString('base64url');
    } catch (err) {
      // 'hsm_unavailable': the token is down (failing fast until it is back); 'hsm_error': this call failed.
      const reason = err instanceof TokenError && err.kind !== 'sign' ? 'hsm_unavailable' : 'hsm_error';
      throw new SidecarError('SIGNING_FAILED', reason, err instanceof Error ? err.message : String(err), { cause: err });
    }
  } else {
    try {
      const raw = cryptoSign(ALGORITHMS[key.alg].hash, signingInput(protectedHeader, body), key.signKey);
      const jose = key.alg === 'ES256' ? derToJose(raw) : raw;
      if (jose === undefined) throw Object.assign(new Error('crypto.sign returned a DER signature that is not P-256'), { code: 'ERR_ES256_DER' });
      signature = jose.toString('base64url');
    } catch (err) {
      throw new SidecarError('SIGNING_FAILED', 'sign_error', (err as { code?: string }).code ?? 'crypto.sign failed', { cause: err });
    }
  }
  headers['fspiop-uri'] = uri;
  headers['fspiop-http-method'] = method;
  headers['fspiop-signature'] = formatSignatureHeader(signature, protectedHeader);
  headers['content-length'] = String(body.length);
  return { signed: true, body, headers };
}
