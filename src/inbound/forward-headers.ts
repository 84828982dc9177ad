/**
 * Header rewriting for the hop to the core and back, as pure functions over Node's raw header
 * arrays (flat `[name, value, name, value, ...]`, original case, duplicates kept). Working on the
 * raw arrays keeps repeated headers (e.g. set-cookie) intact and costs one pass per message.
 *
 * Towards the core:
 * - hop-by-hop headers (RFC 9110 §7.6.1, plus any named in Connection) are dropped; undici
 *   frames the body itself, so Content-Length and Transfer-Encoding go too;
 * - the hub echoes the DFSP's own bearer token into callbacks (trap T17): Authorization is
 *   dropped unless `inbound.forwardAuthorization` is on;
 * - everything the sidecar asserts is set by the sidecar alone and comes first, ahead of anything
 *   the client sent (a core that keeps only the first N header lines still sees them): any
 *   `x-dfsp-sidecar-*`, `x-forwarded-*` or `x-request-id` the client sent is dropped, so the core
 *   can trust them (the client address is the socket's, or the one a trusted load balancer put in
 *   its PROXY header; never a header the client wrote);
 * - other client-address and routing headers (`Forwarded`, `X-Real-IP`, `True-Client-IP`, `Via`,
 *   `X-Original-URL`, ...) are dropped: frameworks trust them for the client address, the host
 *   or even the path;
 * - a name with an underscore is dropped: CGI-style servers map `x_forwarded_for` and
 *   `fspiop_source` onto the same variables as their dashed twins, so they could shadow the
 *   real, verified header (nginx drops them by default too);
 * - everything else, FSPIOP headers, FSPIOP-Signature and `traceparent`/`tracestate` included,
 *   passes unchanged.
 *
 * Hot path: the same few header names arrive on every request, so each name's verdict is cached
 * by its exact spelling (bounded, so a peer inventing names cannot grow it) instead of
 * lower-casing every name of every message.
 */
import { HOP_BY_HOP } from '../shared/headers.js';

export const PEER_CN_HEADER = 'x-dfsp-sidecar-peer-cn';
export const JWS_HEADER = 'x-dfsp-sidecar-jws';
const SIDECAR_PREFIX = 'x-dfsp-sidecar-';
/** Client-address and routing headers the core must not take from the client (x-forwarded-* go by prefix). */
const ROUTING = new Set([
  'x-request-id',
  'forwarded',
  'via',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'client-ip',
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'x-original-host',
  'x-host',
  'x-http-host-override',
]);
const MAX_CACHED_NAMES = 512;

const KEEP = 0;
const DROP = 1;
const AUTHORIZATION = 2;
const CONNECTION = 3;
type Verdict = typeof KEEP | typeof DROP | typeof AUTHORIZATION | typeof CONNECTION;

function cached(cache: Map<string, Verdict>, name: string, decide: (lower: string) => Verdict): Verdict {
  let v = cache.get(name);
  if (v === undefined) {
    v = decide(name.toLowerCase());
    if (cache.size < MAX_CACHED_NAMES) cache.set(name, v);
  }
  return v;
}

const requestNames = new Map<string, Verdict>();
const decideRequest = (lower: string): Verdict => {
  if (lower === 'connection') return CONNECTION;
  if (lower === 'authorization') return AUTHORIZATION;
  if (HOP_BY_HOP.has(lower) || ROUTING.has(lower) || lower.startsWith(SIDECAR_PREFIX) || lower.startsWith('x-forwarded-') || lower.includes('_')) return DROP;
  return KEEP;
};

const responseNames = new Map<string, Verdict>();
const decideResponse = (lower: string): Verdict => {
  if (lower === 'connection') return CONNECTION;
  return lower !== 'content-length' && HOP_BY_HOP.has(lower) ? DROP : KEEP;
};

/**
 * Names listed in a Connection header that are not hop-by-hop anyway (usually none: the value is
 * `keep-alive` or `close`).
 */
function extraConnectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  for (const t of value.split(',')) {
    const v = t.trim().toLowerCase();
    if (v && !HOP_BY_HOP.has(v)) (into ??= new Set()).add(v);
  }
  return into;
}

/** Remove the pairs whose name is in `tokens` (the rare Connection-named headers). */
function withoutTokens(flat: string[], tokens: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (!tokens.has((flat[i] as string).toLowerCase())) out.push(flat[i] as string, flat[i + 1] as string);
  }
  return out;
}

export interface CoreHeaderOptions {
  readonly forwardAuthorization: boolean;
  readonly clientAddress: string;
  readonly proto: 'https' | 'http';
  readonly requestId: string;
  /** `verified` or `exempt:<why>`. */
  readonly jws: string;
  readonly peerCn?: string | undefined;
}

export function coreRequestHeaders(raw: readonly string[], opts: CoreHeaderOptions): string[] {
  const own = opts.peerCn === undefined ? 8 : 10;
  let out: string[] = [JWS_HEADER, opts.jws, 'x-request-id', opts.requestId, 'x-forwarded-for', opts.clientAddress, 'x-forwarded-proto', opts.proto];
  if (opts.peerCn !== undefined) out.push(PEER_CN_HEADER, opts.peerCn);
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const v = cached(requestNames, name, decideRequest);
    if (v === KEEP || (v === AUTHORIZATION && opts.forwardAuthorization)) out.push(name, raw[i + 1] as string);
    else if (v === CONNECTION) tokens = extraConnectionTokens(raw[i + 1] as string, tokens);
  }
  // check-headers has refused a Connection header naming any header the sidecar sets.
  if (tokens !== undefined) out = [...out.slice(0, own), ...withoutTokens(out.slice(own), tokens)];
  return out;
}

/**
 * The core's response headers for `res.writeHead`, minus hop-by-hop ones. Content-Length is kept
 * so the body goes back with the core's framing; without it Node chunks the body itself. Bytes
 * are read as latin1, which Node writes back unchanged.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  let out: string[] = [];
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const v = cached(responseNames, name, decideResponse);
    if (v === KEEP) out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
    else if (v === CONNECTION) tokens = extraConnectionTokens((raw[i + 1] as Buffer).toString('latin1'), tokens);
  }
  if (tokens !== undefined) out = withoutTokens(out, tokens);
  return out;
}
