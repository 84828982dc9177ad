/**
 * check-headers: refuse, before the body is read, a request whose headers would make the core read
 * it differently from what is verified.
 *
 * - More header lines than `inbound.maxHeaderCount` (431/3103). FSPIOP requests carry about 15;
 *   Node itself keeps only the first `maxHeadersCount` and silently drops the rest, so the
 *   listener's limit is set one above ours and anything over ours is refused here.
 * - A body on GET, HEAD, OPTIONS or DELETE (never signed: trap T11), declared by a non-zero
 *   Content-Length or any Transfer-Encoding (400/3101). Unsigned requests carry no bytes to the core.
 * - A method override (`X-HTTP-Method-Override` and its variants): frameworks honour them, so a
 *   signed POST could be routed as a PUT, or an unsigned GET as a POST.
 * - A Connection header naming an end-to-end header the signature or the core relies on
 *   (FSPIOP-*, Date, Content-*, Accept, the sidecar's own): a proxy must delete what Connection
 *   names (RFC 9110 §7.6.1), which would strip verified headers before the core.
 * - A Content-Encoding other than identity: the signature covers the bytes on the wire, the core
 *   would decode them into something else.
 *
 * Pure over Node's raw header array; one pass, no allocation unless something is refused.
 */
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { InboundExchange } from '../exchange.js';

export const UNSIGNED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

const METHOD_OVERRIDES: ReadonlySet<string> = new Set(['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-method']);

/** End-to-end headers a Connection header must not name. */
export function protectedFromConnection(name: string): boolean {
  return (
    name.startsWith('fspiop-') ||
    name.startsWith('content-') ||
    name.startsWith('x-dfsp-sidecar-') ||
    name.startsWith('x-forwarded-') ||
    name === 'date' ||
    name === 'accept' ||
    name === 'x-request-id' ||
    name === 'traceparent' ||
    name === 'tracestate' ||
    name === 'authorization'
  );
}

export interface HeaderRefusal {
  readonly code: 'MALFORMED_REQUEST' | 'HEADERS_TOO_LARGE';
  readonly reason: string;
  readonly detail: string;
}

/** Pure: why these headers are refused for this method, or undefined. */
export function headerProblem(rawHeaders: readonly string[], method: string, maxHeaderCount: number): HeaderRefusal | undefined {
  const count = rawHeaders.length >> 1;
  if (count > maxHeaderCount) return { code: 'HEADERS_TOO_LARGE', reason: 'too_many_headers', detail: `more than ${maxHeaderCount} header lines (inbound.maxHeaderCount)` };
  const bodyless = UNSIGNED_METHODS.has(method);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    // Cheap pre-filter on the length and first letter of the few names that matter.
    const first = name.charCodeAt(0) | 0x20;
    if (first !== 0x63 /* c */ && first !== 0x74 /* t */ && first !== 0x78 /* x */) continue;
    const lower = name.toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (METHOD_OVERRIDES.has(lower)) return { code: 'MALFORMED_REQUEST', reason: 'method_override', detail: `${name} header` };
    if (lower === 'connection') {
      for (const token of value.split(',')) {
        const t = token.trim().toLowerCase();
        if (protectedFromConnection(t)) return { code: 'MALFORMED_REQUEST', reason: 'connection_names_end_to_end', detail: `Connection names '${t.slice(0, 64)}'` };
      }
    } else if (lower === 'content-encoding') {
      if (value.trim().toLowerCase() !== 'identity') return { code: 'MALFORMED_REQUEST', reason: 'content_encoding', detail: `Content-Encoding '${value.slice(0, 64)}'` };
    } else if (bodyless && lower === 'content-length') {
      if (value.trim() !== '0') return { code: 'MALFORMED_REQUEST', reason: 'body_on_unsigned_method', detail: `${method} with Content-Length ${value.slice(0, 32)}` };
    } else if (bodyless && lower === 'transfer-encoding') {
      return { code: 'MALFORMED_REQUEST', reason: 'body_on_unsigned_method', detail: `${method} with Transfer-Encoding` };
    }
  }
  return undefined;
}

export const checkHeaders: Stage<InboundExchange> = {
  name: 'check-headers',
  run(ex) {
    const problem = headerProblem(ex.req.rawHeaders, ex.method, ex.rt.maxHeaderCount);
    if (problem === undefined) return;
    // Any body is drained and discarded (Node frames it, so it is never parsed as a next request).
    ex.req.resume();
    throw new SidecarError(problem.code, problem.reason, problem.detail);
  },
};
