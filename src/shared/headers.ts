/**
 * Header rules shared by both gateways.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific headers: never forwarded by a proxy. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

/** Names listed in a Connection header are hop-by-hop for this message too. */
export function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const raw = headers.connection;
  if (!raw) return new Set();
  return new Set(String(raw).split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** Single string value of a header as a validator sees it (Node joins duplicates with ", "). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * End-to-end request headers as a flat record for undici, dropping hop-by-hop ones and any in `drop`.
 */
export function forwardableHeaders(headers: IncomingHttpHeaders, drop: ReadonlySet<string> = new Set()): Record<string, string | string[]> {
  const tokens = connectionTokens(headers);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || tokens.has(name) || drop.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Response headers from an upstream, minus hop-by-hop ones, ready for res.writeHead. */
export function forwardableResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const tokens = new Set<string>();
  const conn = headers.connection;
  if (conn) for (const t of String(conn).split(',')) tokens.add(t.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || tokens.has(name) || (HOP_BY_HOP.has(name) && name !== 'content-length')) continue;
    out[name] = value;
  }
  return out;
}
