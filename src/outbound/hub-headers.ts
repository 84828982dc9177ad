/**
 * The outbound header policy: which of the core's headers reach the hub. This file is the one
 * place it is declared; the request path only calls `hubHeaders`. Pure, so the rules are
 * unit-tested without sockets.
 *
 * Passed from the core (unless named in its Connection header, RFC 9110 §7.6.1):
 * - FSPIOP headers: every `fspiop-*` except FSPIOP-Signature, plus `accept` and `date`;
 * - content headers: `content-type`, `content-encoding`, `content-language` (Content-Length is left
 *   to undici, which sets it from the exact bytes sent);
 * - trace context: `traceparent`, `tracestate`;
 * - `x-request-id`, always the id this request is logged under (the core's own when it sent a sane
 *   one), so the hub's logs and ours can be joined;
 * - the operator's `outbound.headers.allow` list.
 * Everything else the core sends is dropped: `cookie`, `x-forwarded-*`, `user-agent`, internal
 * headers of the core's own stack. Never passed whatever the allowlist says (the schema refuses
 * them there): the core's Authorization and FSPIOP-Signature (the hub gets our token and our
 * signature, or none: a core cannot smuggle its own credentials past the sidecar), hop-by-hop
 * headers, and the sidecar's own `x-dfsp-sidecar-*` names.
 *
 * After the core's headers: what the FSPIOP conformance step added (a missing Accept or
 * Content-Type), then the signer's date / fspiop-* headers (the signature covers those values),
 * then our Authorization.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { connectionTokens, HOP_BY_HOP } from '../shared/headers.js';

/** Exact names passed from the core, besides `fspiop-*`. */
export const PASSED_HEADERS: readonly string[] = ['accept', 'date', 'content-type', 'content-encoding', 'content-language', 'traceparent', 'tracestate'];

/** Never taken from the core. */
export const NEVER_FROM_CORE: readonly string[] = ['authorization', 'fspiop-signature', 'x-request-id'];

export const SIDECAR_HEADER_PREFIX = 'x-dfsp-sidecar-';

/** The compiled policy for one snapshot: the exact names that pass, allowlist included. */
export interface HeaderPolicy {
  readonly exact: ReadonlySet<string>;
}

export function compileHeaderPolicy(allow: readonly string[]): HeaderPolicy {
  const exact = new Set(PASSED_HEADERS);
  for (const name of allow) {
    const n = name.toLowerCase();
    if (NEVER_FROM_CORE.includes(n) || HOP_BY_HOP.has(n) || n.startsWith(SIDECAR_HEADER_PREFIX)) continue;
    exact.add(n);
  }
  return { exact };
}

/** Whether the core's header `name` (lower-case, as Node gives it) may reach the hub. */
export function passes(policy: HeaderPolicy, name: string): boolean {
  if (policy.exact.has(name)) return true;
  // fspiop-signature is the one FSPIOP header the core never supplies: it is ours to make.
  return name.startsWith('fspiop-') && name !== 'fspiop-signature';
}

export function hubHeaders(
  core: IncomingHttpHeaders,
  policy: HeaderPolicy,
  added: Readonly<Record<string, string>> | undefined,
  set: Readonly<Record<string, string>>,
  token: string | undefined,
  requestId: string,
): Record<string, string | string[]> {
  const tokens = core.connection === undefined ? undefined : connectionTokens(core);
  const out: Record<string, string | string[]> = {};
  for (const name in core) {
    const value = core[name];
    if (value === undefined || !passes(policy, name) || tokens?.has(name)) continue;
    out[name] = value;
  }
  out['x-request-id'] = requestId;
  if (added) for (const name in added) out[name] = added[name] as string;
  for (const name in set) {
    if (name === 'content-length') continue;
    out[name] = set[name] as string;
  }
  if (token !== undefined) out.authorization = `Bearer ${token}`;
  return out;
}

/**
 * The core's headers as the signer reads them: lower-case names, single values (duplicates joined
 * as a validator would see them). Only the two the signer reads (date, fspiop-destination), so a
 * worker thread gets a small message. `date` is the conformance step's (validated, normalised)
 * value, not the raw header.
 */
export function signerHeaders(core: IncomingHttpHeaders, date: string | undefined): Record<string, string | undefined> {
  const v = core['fspiop-destination'];
  return { date, 'fspiop-destination': Array.isArray(v) ? v.join(', ') : v };
}
