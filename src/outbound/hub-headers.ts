/**
 * The headers sent to the hub, built once per request from the core's headers and what the signer
 * produced. Pure, so the rules are unit-tested without sockets:
 *
 * - hop-by-hop headers (RFC 9110 §7.6.1, plus those named in Connection) are not forwarded;
 * - the core's Authorization and FSPIOP-Signature are never forwarded: the hub gets our token and
 *   our signature, or none (a core cannot smuggle its own credentials past the sidecar);
 * - the signer's date / fspiop-* headers replace the core's (the signature covers those values);
 * - Content-Length is left to undici, which sets it from the exact bytes sent;
 * - `x-request-id` is the one this request is logged under (the core's own when it sent a sane one),
 *   so the hub's logs and ours can be joined.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { forwardableHeaders } from '../shared/headers.js';

const FROM_CORE_NEVER = new Set(['authorization', 'fspiop-signature']);

export function hubHeaders(core: IncomingHttpHeaders, set: Readonly<Record<string, string>>, token: string | undefined, requestId: string): Record<string, string | string[]> {
  const out = forwardableHeaders(core, FROM_CORE_NEVER);
  out['x-request-id'] = requestId;
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
 * worker thread gets a small message.
 */
export function signerHeaders(core: IncomingHttpHeaders): Record<string, string | undefined> {
  const pick = (name: string): string | undefined => {
    const v = core[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return { date: pick('date'), 'fspiop-destination': pick('fspiop-destination') };
}
