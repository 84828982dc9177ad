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
 * - everything the sidecar asserts is set by the sidecar alone: any `x-dfsp-sidecar-*`,
 *   `x-forwarded-for`, `x-forwarded-proto` or `x-request-id` the client sent is replaced, so the
 *   core can trust them (the client address is the socket's, or the one a trusted load balancer
 *   put in its PROXY header; never a header the client wrote);
 * - everything else, FSPIOP headers, FSPIOP-Signature and `traceparent`/`tracestate` included,
 *   passes unchanged.
 */
import { HOP_BY_HOP } from '../shared/headers.js';

export const PEER_CN_HEADER = 'x-dfsp-sidecar-peer-cn';
export const PEER_FINGERPRINT_HEADER = 'x-dfsp-sidecar-peer-fingerprint';
export const JWS_HEADER = 'x-dfsp-sidecar-jws';
const SIDECAR_PREFIX = 'x-dfsp-sidecar-';
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-request-id']);

export interface CoreHeaderOptions {
  readonly forwardAuthorization: boolean;
  readonly clientAddress: string;
  readonly proto: 'https' | 'http';
  readonly requestId: string;
  /** `verified` or `exempt:<why>`. */
  readonly jws: string;
  readonly peerCn?: string | undefined;
  readonly peerFingerprint?: string | undefined;
}

/** Lower-case tokens of every Connection header in a raw header list. */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length !== 10 || (raw[i] as string).toLowerCase() !== 'connection') continue;
    tokens ??= new Set();
    for (const t of (raw[i + 1] as string).split(',')) {
      const v = t.trim().toLowerCase();
      if (v) tokens.add(v);
    }
  }
  return tokens;
}

export function coreRequestHeaders(raw: readonly string[], opts: CoreHeaderOptions): string[] {
  const tokens = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || REPLACED.has(lower) || lower.startsWith(SIDECAR_PREFIX)) continue;
    if (lower === 'authorization' && !opts.forwardAuthorization) continue;
    if (tokens?.has(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  out.push('x-forwarded-for', opts.clientAddress, 'x-forwarded-proto', opts.proto, 'x-request-id', opts.requestId, JWS_HEADER, opts.jws);
  if (opts.peerCn !== undefined) out.push(PEER_CN_HEADER, opts.peerCn);
  if (opts.peerFingerprint !== undefined) out.push(PEER_FINGERPRINT_HEADER, opts.peerFingerprint);
  return out;
}

/**
 * The core's response headers for `res.writeHead`, minus hop-by-hop ones. Content-Length is kept
 * so the body goes back with the core's framing; without it Node chunks the body itself.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      tokens ??= new Set();
      for (const t of (raw[i + 1] as Buffer).toString('latin1').split(',')) {
        const v = t.trim().toLowerCase();
        if (v) tokens.add(v);
      }
      continue;
    }
    if (lower !== 'content-length' && HOP_BY_HOP.has(lower)) continue;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  if (tokens === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!tokens.has((out[i] as string).toLowerCase())) kept.push(out[i] as string, out[i + 1] as string);
  }
  return kept;
}
