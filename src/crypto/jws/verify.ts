/**
 * Inbound FSPIOP signature verification (reference §4.4). Returns a result, never throws: every
 * failure carries a stable reason token and the catalogue code it answers with.
 *
 * Order of checks (the first failure is reported):
 *   exemptions (policy) → FSPIOP-Source → FSPIOP-Signature → FSPIOP-URI → FSPIOP-HTTP-Method →
 *   non-empty body → keys for the source → signature header → protected header → alg allowlist →
 *   header cross-checks → signature over raw bytes, then the sorted-key, then the insertion-order
 *   re-serialisation of the parsed body.
 *
 * The body is parsed only when the raw bytes do not verify. A raw match proves the bytes are what
 * the authenticated peer signed, and parsing a 10 KB body would cost more than the RSA check
 * itself; so a body that is not JSON is reported (MALFORMED_JSON) only when an encoding is needed,
 * and is otherwise left to the core's own validation. The SDK parses first; for a request that is
 * both malformed and badly signed we may therefore report 3105 where it reports 3101.
 *
 * Request-line binding (`requestLine`, default enforce): FSPIOP-HTTP-Method must be the request
 * method and FSPIOP-URI the request path, exactly (Signature_v1.1 §2.2.1 steps 4–5). No SDK checks
 * this, so a message signed for `PUT /transfers/A/error` would otherwise be accepted on any other
 * request line. `path` is the service-relative path (the gateway strips its configured base path
 * first). The one exception is the SDK's own ping, which signs `//host:port/ping/{id}` (§3.2).
 *
 * When a re-serialisation is what verified, the result carries those bytes: they, and never the
 * received ones, are what the caller may pass on (a duplicate key, a rounded integer or an invalid
 * UTF-8 byte in the received body would otherwise reach the core unsigned).
 *
 * No JWT claim checks on the body (trap T12: the SDK enforces a top-level `exp`/`nbf`; we do not).
 */
import { verify as cryptoVerify } from 'node:crypto';
import { joseToDer } from './ecdsa.js';
import type { ErrorCode } from '../../shared/errors.js';
import { ALGORITHMS, DEFAULT_ALGORITHMS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { stringifySorted } from './reserialise.js';
import { checkSignedHeaders, quote, type DestinationPolicy, type HeaderCheckReason } from './header-checks.js';
import type { PeerKeySet } from './key-store.js';
import type { PeerKey } from './peer-key.js';
import { leadingResource } from './resource.js';
import { decodeProtectedHeader, parseSignatureHeader } from './signature-header.js';
import { signingInput } from './signing-input.js';

export type VerifyReason =
  | 'missing_source'
  | 'missing_uri'
  | 'missing_method'
  | 'missing_signature'
  | 'duplicate_header'
  | 'empty_body'
  | 'unknown_source'
  | 'malformed_signature'
  | 'malformed_protected_header'
  | 'alg_not_allowed'
  | 'no_key_for_alg'
  | HeaderCheckReason
  | 'request_mismatch'
  | 'malformed_json'
  | 'too_large_to_reserialise'
  | 'signature_mismatch';

/** Catalogue code for each reason: 3102 for missing FSPIOP headers, 3101 for bodies, else 3105. */
export const VERIFY_REASON_CODES: Readonly<Record<VerifyReason, ErrorCode>> = Object.freeze({
  missing_source: 'MISSING_HEADER',
  missing_uri: 'MISSING_HEADER',
  missing_method: 'MISSING_HEADER',
  missing_signature: 'INVALID_SIGNATURE',
  duplicate_header: 'INVALID_SIGNATURE',
  empty_body: 'MALFORMED_JSON',
  unknown_source: 'INVALID_SIGNATURE',
  malformed_signature: 'INVALID_SIGNATURE',
  malformed_protected_header: 'INVALID_SIGNATURE',
  alg_not_allowed: 'INVALID_SIGNATURE',
  no_key_for_alg: 'INVALID_SIGNATURE',
  uri_mismatch: 'INVALID_SIGNATURE',
  method_mismatch: 'INVALID_SIGNATURE',
  source_mismatch: 'INVALID_SIGNATURE',
  date_mismatch: 'INVALID_SIGNATURE',
  destination_mismatch: 'INVALID_SIGNATURE',
  request_mismatch: 'INVALID_SIGNATURE',
  malformed_json: 'MALFORMED_JSON',
  too_large_to_reserialise: 'INVALID_SIGNATURE',
  signature_mismatch: 'INVALID_SIGNATURE',
});

export const VERIFY_REASONS = Object.freeze(Object.keys(VERIFY_REASON_CODES) as VerifyReason[]);

/** Which bytes the signature turned out to cover. `sorted` ≈ SDK ≥ 19.18.9, `insertion` ≈ older. */
export type MatchedEncoding = 'raw' | 'sorted' | 'insertion';

export type Exemption =
  | 'disabled' // policy.enabled is false
  | 'get' // GET, HEAD, OPTIONS: never signed
  | 'delete' // DELETE: never signed (the SDK validator wrongly tries and fails)
  | 'put-parties' // putParties 'never'
  | 'put-parties-unsigned' // putParties 'if-signed' and no signature
  | 'hub-unsigned' // allowUnsignedFromHub and FSPIOP-Source is the hub, unsigned
  | 'ping'; // ping 'skip', or 'record' and verification failed (see `failure`)

export interface VerifyFailure {
  readonly ok: false;
  readonly reason: VerifyReason;
  readonly code: ErrorCode;
  /** For the log only: names headers and values (quoted, bounded), never body content or keys. */
  readonly detail: string;
}

export interface Verified {
  readonly ok: true;
  readonly verified: true;
  readonly matched: MatchedEncoding;
  readonly source: string;
  readonly alg: JwsAlgorithm;
  readonly keyFingerprint: string;
  /** The bytes the signature covers when a re-serialisation matched (undefined for `raw`). */
  readonly bytes?: Buffer;
  /** requestLine 'record': the request line disagreed with the signed one (forwarded anyway). */
  readonly requestLineMismatch?: VerifyFailure;
}

export interface Exempted {
  readonly ok: true;
  readonly verified: false;
  readonly exemption: Exemption;
  /** With exemption 'ping' under policy 'record': what verification found. */
  readonly failure?: VerifyFailure;
}

export type VerifyResult = Verified | Exempted | VerifyFailure;

export interface VerifyPolicyOptions {
  /** Verify at all (SDK: VALIDATE_INBOUND_JWS). Default true. */
  readonly enabled: boolean;
  /** PUT /parties: 'always' verify, 'if-signed' (default; SDK and hub ALS do not validate), 'never'. */
  readonly putParties: 'always' | 'if-signed' | 'never';
  /** The hub's FSP id, for allowUnsignedFromHub. */
  readonly hubFspId: string | undefined;
  /** Accept unsigned requests whose FSPIOP-Source is hubFspId (mojaloop/project#3829). Default false. */
  readonly allowUnsignedFromHub: boolean;
  /** Accepted `alg` values. Default RS256, ES256 (what SDK validators accept). */
  readonly algorithms: readonly JwsAlgorithm[];
  /** Destination rule of the header cross-check. Default 'sdk-strict'. */
  readonly destination: DestinationPolicy;
  /**
   * /ping (reference §4.1): 'record' (default) verifies like anything else but lets a failure through
   * with `exemption: 'ping'` and the `failure`, so the core can answer PUT /ping/{id}/error with 3100
   * as the SDK does; 'enforce' rejects like any request; 'skip' does not verify. The SDK's own
   * PUT /ping signs a URI with the host in it (§3.2), which only passes because nothing compares
   * FSPIOP-URI to the request path.
   */
  readonly ping: 'record' | 'enforce' | 'skip';
  /**
   * Request-line binding: FSPIOP-HTTP-Method = the request method and FSPIOP-URI = the request's
   * service-relative path, exactly (Signature_v1.1 §2.2.1 steps 4–5). 'enforce' (default) rejects a
   * mismatch (request_mismatch, 3105); 'record' accepts it and reports it in `requestLineMismatch`;
   * 'off' does not compare (what every SDK does: trap T4).
   */
  readonly requestLine: 'enforce' | 'record' | 'off';
  /**
   * Bodies larger than this are verified over their raw bytes only: parsing and re-serialising a
   * large body that does not verify raw costs the event loop milliseconds per attempt, which a
   * peer could repeat at will. Peers that sign what they send (every SDK since 19.x sends the
   * bytes it signed) match raw at any size.
   */
  readonly reserialiseLimitBytes: number;
}

export interface VerifyPolicy extends VerifyPolicyOptions {
  readonly allowed: ReadonlySet<string>;
}

export const DEFAULT_VERIFY_POLICY_OPTIONS: VerifyPolicyOptions = Object.freeze({
  enabled: true,
  putParties: 'if-signed',
  hubFspId: undefined,
  allowUnsignedFromHub: false,
  algorithms: DEFAULT_ALGORITHMS,
  destination: 'sdk-strict',
  ping: 'record',
  requestLine: 'enforce',
  reserialiseLimitBytes: 65_536,
});

/** Compiles a policy once (at load/reload); the hot path only reads it. */
export function createVerifyPolicy(options: Partial<VerifyPolicyOptions> = {}): VerifyPolicy {
  const merged = { ...DEFAULT_VERIFY_POLICY_OPTIONS, ...options };
  for (const alg of merged.algorithms) {
    if (!isJwsAlgorithm(alg)) throw new TypeError(`createVerifyPolicy: unknown algorithm ${String(alg)}`);
  }
  return Object.freeze({ ...merged, algorithms: Object.freeze([...merged.algorithms]), allowed: new Set<string>(merged.algorithms) });
}

export const DEFAULT_VERIFY_POLICY: VerifyPolicy = createVerifyPolicy();

export interface VerifyInput {
  readonly method: string;
  /** The service-relative request target (`/transfers/1`): the gateway strips its base path first. */
  readonly path: string;
  /** Node's IncomingHttpHeaders: lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw received bytes. */
  readonly body: Uint8Array | undefined;
}

function fail(reason: VerifyReason, detail: string): VerifyFailure {
  return { ok: false, reason, code: VERIFY_REASON_CODES[reason], detail };
}

/** A header value: undefined when absent or empty, null when sent more than once. */
function header(h: VerifyInput['headers'], name: string): string | undefined | null {
  const v = h[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string') return v;
  return v.length === 1 && v[0] !== '' ? v[0]! : v.length === 0 ? undefined : null;
}

function verifyWith(keys: readonly PeerKey[], alg: JwsAlgorithm, data: Buffer, signature: Buffer): PeerKey | undefined {
  const hash = ALGORITHMS[alg].hash;
  // ES256 arrives as JOSE r||s; crypto checks DER (ecdsa.ts). A signature of the wrong length for
  // P-256 matches no key.
  const sig = ALGORITHMS[alg].kind === 'ec' ? joseToDer(signature) : signature;
  if (sig === undefined) return undefined;
  for (const key of keys) {
    try {
      if (cryptoVerify(hash, data, key.verifyKey, sig)) return key;
    } catch {
      // A malformed signature for this key type is a non-match, nothing more (jose's rule).
    }
  }
  return undefined;
}

function verified(source: string, alg: JwsAlgorithm, matched: MatchedEncoding, key: PeerKey, bytes: Buffer | undefined, requestLineMismatch: VerifyFailure | undefined): Verified {
  const v: Verified = { ok: true, verified: true, matched, source, alg, keyFingerprint: key.fingerprint };
  if (bytes === undefined && requestLineMismatch === undefined) return v;
  return { ...v, ...(bytes ? { bytes } : {}), ...(requestLineMismatch ? { requestLineMismatch } : {}) };
}

function verifySigned(input: VerifyInput, method: string, keySet: PeerKeySet, policy: VerifyPolicy): VerifyResult {
  const h = input.headers;
  const source = header(h, 'fspiop-source');
  if (source === null) return fail('duplicate_header', 'FSPIOP-Source sent more than once');
  if (source === undefined) return fail('missing_source', 'no FSPIOP-Source header');
  const signatureValue = header(h, 'fspiop-signature');
  if (signatureValue === null) return fail('duplicate_header', 'FSPIOP-Signature sent more than once');
  if (signatureValue === undefined) return fail('missing_signature', `no FSPIOP-Signature header (FSPIOP-Source ${quote(source)})`);
  const uri = header(h, 'fspiop-uri');
  if (uri === null) return fail('duplicate_header', 'FSPIOP-URI sent more than once');
  if (uri === undefined) return fail('missing_uri', 'no FSPIOP-URI header');
  const httpMethod = header(h, 'fspiop-http-method');
  if (httpMethod === null) return fail('duplicate_header', 'FSPIOP-HTTP-Method sent more than once');
  if (httpMethod === undefined) return fail('missing_method', 'no FSPIOP-HTTP-Method header');
  const body = input.body;
  if (body === undefined || body.length === 0) return fail('empty_body', `${method} with a signature but no body`);

  const candidates = keySet.bySource.get(source);
  if (candidates === undefined || candidates.length === 0) {
    return fail('unknown_source', `no key for FSPIOP-Source ${quote(source)} (keys are held for ${keySet.bySource.size} sources)`);
  }
  const parsed = parseSignatureHeader(signatureValue);
  if (typeof parsed === 'string') return fail('malformed_signature', parsed);
  const protectedHeader = decodeProtectedHeader(parsed.protectedHeader);
  if (typeof protectedHeader === 'string') return fail('malformed_protected_header', protectedHeader);
  const alg = protectedHeader.alg;
  if (alg === undefined) return fail('alg_not_allowed', 'protected header has no alg');
  if (!policy.allowed.has(alg) || !isJwsAlgorithm(alg)) return fail('alg_not_allowed', `alg ${quote(alg)} is not allowed (allowed: ${policy.algorithms.join(', ')})`);
  const kind = ALGORITHMS[alg].kind;
  let keys = candidates;
  for (const k of candidates) {
    if (k.kind !== kind) {
      keys = candidates.filter((c) => c.kind === kind);
      break;
    }
  }
  if (keys.length === 0) return fail('no_key_for_alg', `alg ${alg} but the keys for ${quote(source)} are ${candidates[0]!.kind.toUpperCase()}`);

  const dateHeader = header(h, 'date');
  const destination = header(h, 'fspiop-destination');
  if (dateHeader === null || destination === null) return fail('duplicate_header', `${dateHeader === null ? 'Date' : 'FSPIOP-Destination'} sent more than once`);
  const mismatch = checkSignedHeaders(protectedHeader, { uri, method: httpMethod, source, destination, date: dateHeader }, policy.destination);
  if (mismatch !== undefined) return fail(mismatch.reason, mismatch.detail);
  let requestLineMismatch: VerifyFailure | undefined;
  if (policy.requestLine !== 'off') {
    const detail = requestLineProblem(method, input.path, httpMethod, uri);
    if (detail !== undefined) {
      requestLineMismatch = fail('request_mismatch', detail);
      if (policy.requestLine === 'enforce') return requestLineMismatch;
    }
  }
  const prefix = parsed.protectedHeader;
  const raw = verifyWith(keys, alg, signingInput(prefix, body), parsed.signature);
  if (raw !== undefined) return verified(source, alg, 'raw', raw, undefined, requestLineMismatch);
  if (body.length > policy.reserialiseLimitBytes) {
    return fail('too_large_to_reserialise', `the signature does not cover the raw bytes, and a ${body.length}-byte body is over jws.reserialiseLimitBytes (${policy.reserialiseLimitBytes}) so no re-serialisation was tried`);
  }

  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return fail('malformed_json', `the body is not JSON (and the signature does not cover its raw bytes)`);
  }
  const tried: string[] = [];
  const attempt = (encoding: MatchedEncoding, text: string | undefined): Verified | undefined => {
    if (text === undefined || tried.includes(text)) return undefined;
    tried.push(text);
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.equals(body)) return undefined;
    const key = verifyWith(keys, alg, signingInput(prefix, bytes), parsed.signature);
    return key === undefined ? undefined : verified(source, alg, encoding, key, bytes, requestLineMismatch);
  };
  const reserialise = (f: () => string): string | undefined => {
    try {
      return f();
    } catch {
      return undefined; // nesting too deep to re-serialise: no peer could have signed that form either
    }
  };
  const sorted = attempt('sorted', reserialise(() => stringifySorted(value)));
  if (sorted !== undefined) return sorted;
  const insertion = attempt('insertion', reserialise(() => JSON.stringify(value)));
  if (insertion !== undefined) return insertion;
  return fail('signature_mismatch', `signature does not verify with the ${keys.length} ${alg} key(s) of ${quote(source)} over the raw, sorted or insertion-order body`);
}

/**
 * Verifies one inbound request against the peer keys and policy. Never throws.
 * `ok: true` means forward it (verified, or exempt by policy); `ok: false` means answer 400 with
 * the catalogue entry of `code`.
 */
export function verifyRequest(input: VerifyInput, keySet: PeerKeySet, policy: VerifyPolicy = DEFAULT_VERIFY_POLICY): VerifyResult {
  try {
    const method = typeof input.method === 'string' ? input.method.toUpperCase() : '';
    if (!policy.enabled) return { ok: true, verified: false, exemption: 'disabled' };
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return { ok: true, verified: false, exemption: 'get' };
    if (method === 'DELETE') return { ok: true, verified: false, exemption: 'delete' };
    // Only /ping (any method) and PUT /parties have policies of their own. The resource is the
    // path's first segment only: an exemption must name what the core will route on, so
    // `/anything/parties/...` is not PUT /parties (dot segments are refused before this).
    const path = typeof input.path === 'string' ? input.path : '';
    const resource = leadingResource(path);
    if (resource === 'ping' && policy.ping === 'skip') return { ok: true, verified: false, exemption: 'ping' };
    const putParties = method === 'PUT' && resource === 'parties';
    if (putParties && policy.putParties === 'never') return { ok: true, verified: false, exemption: 'put-parties' };
    if (header(input.headers, 'fspiop-signature') === undefined) {
      if (putParties && policy.putParties === 'if-signed') return { ok: true, verified: false, exemption: 'put-parties-unsigned' };
      if (policy.allowUnsignedFromHub && policy.hubFspId !== undefined && header(input.headers, 'fspiop-source') === policy.hubFspId) {
        return { ok: true, verified: false, exemption: 'hub-unsigned' };
      }
    }
    const result = verifySigned(input, method, keySet, policy);
    if (!result.ok && resource === 'ping' && policy.ping === 'record') return { ok: true, verified: false, exemption: 'ping', failure: result };
    return result;
  } catch (err) {
    // Unreachable by design; a verifier that throws would turn bad input into a 500.
    return fail('signature_mismatch', `verifier error: ${err instanceof Error ? err.name : 'unknown'}`);
  }
}

/**
 * Pure: why the request line is not the one that was signed, or undefined when it is. `path` is
 * service-relative with its query; FSPIOP-URI never carries a query in SDK traffic (the SDK appends
 * `qs` after signing), so a query the signer did not include is a mismatch too.
 */
export function requestLineProblem(method: string, path: string, signedMethod: string, signedUri: string): string | undefined {
  if (signedMethod !== method) return `FSPIOP-HTTP-Method ${quote(signedMethod)} but the request is ${method}`;
  if (signedUri === path) return undefined;
  // SDK ping: `//host:port/ping/{id}` (reference §3.2): accept the authority form for /ping only.
  if (signedUri.startsWith('//') && leadingResource(path) === 'ping') {
    const slash = signedUri.indexOf('/', 2);
    if (slash > 2 && signedUri.slice(slash) === path) return undefined;
  }
  return `FSPIOP-URI ${quote(signedUri)} but the request path is ${quote(path)}`;
}
