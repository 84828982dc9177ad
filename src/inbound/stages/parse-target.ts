/**
 * parse-target: decide the one canonical request target before anything else looks at it.
 *
 * Every later decision (the exemption policy, the request-line binding, the resource label, the
 * path the core receives) is computed from the target this stage passes, so there must be exactly
 * one way to read it. Cores and their frameworks disagree on the rest: some resolve dot segments
 * (`/parties/../transfers/1` is `/transfers/1` to them), some decode `%2e` and `%2f` before routing,
 * some treat `\` as `/`, Tomcat drops `;params` (and reads `..;` as `..`), Express ignores a
 * trailing slash and empty segments. A target any of them could read as something else is refused
 * (400/3101), never rewritten: the core must receive the path the signature was made for.
 *
 * Accepted: origin-form (RFC 9112 §3.2.1), path segments of RFC 3986 pchars without `;`, no empty,
 * `.` or `..` segment, percent-escapes well formed and never of `.`, `/`, `\`, `%` or a control
 * character; an optional query of the same characters plus `/` and `?`. Then, as a catch-all, the
 * WHATWG URL parser must give back the same string.
 *
 * The hub's base path (`inbound.basePath`) is stripped here: the path after it is what FSPIOP-URI
 * names and what the core receives (behind the core URL's own path).
 */
import { leadingResource } from '../../crypto/jws/resource.js';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { InboundExchange } from '../exchange.js';

export type TargetRefusal =
  | 'not_origin_form'
  | 'bad_character'
  | 'backslash'
  | 'path_parameter'
  | 'bad_percent_encoding'
  | 'encoded_dot'
  | 'encoded_slash'
  | 'encoded_backslash'
  | 'encoded_percent'
  | 'encoded_control'
  | 'dot_segment'
  | 'empty_segment'
  | 'fragment'
  | 'outside_base_path'
  | 'not_normalised';

export type CanonicalTarget =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: TargetRefusal; readonly detail: string };

/** RFC 3986 pchar minus `%` (checked apart) and `;` (path parameters), as a lookup by char code. */
const PATH_CHAR = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@");
/** The query adds `/`, `?` and `;`. */
const QUERY_CHAR = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@/?;");

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const refuse = (reason: TargetRefusal, detail: string): CanonicalTarget => ({ ok: false, reason, detail });

/** Pure: the service-relative target (base path removed), or why the target is refused. */
export function canonicalTarget(target: string, basePath = ''): CanonicalTarget {
  if (target.length === 0 || target.charCodeAt(0) !== 0x2f /* / */) return refuse('not_origin_form', 'not an origin-form path');
  let i = 0;
  let segmentStart = 1;
  let inQuery = false;
  for (; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f /* / */ && !inQuery) {
      if (i > 0) {
        const problem = segmentProblem(target, segmentStart, i);
        if (problem) return problem;
      }
      segmentStart = i + 1;
      continue;
    }
    if (c === 0x3f /* ? */ && !inQuery) {
      const problem = segmentProblem(target, segmentStart, i);
      if (problem) return problem;
      inQuery = true;
      continue;
    }
    if (c === 0x25 /* % */) {
      const hi = hex(target.charCodeAt(i + 1));
      const lo = hex(target.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return refuse('bad_percent_encoding', `'%' not followed by two hex digits at ${i}`);
      const decoded = hi * 16 + lo;
      if (decoded < 0x20 || decoded === 0x7f) return refuse('encoded_control', `encoded control character at ${i}`);
      if (!inQuery) {
        if (decoded === 0x2e) return refuse('encoded_dot', `encoded '.' at ${i}`);
        if (decoded === 0x2f) return refuse('encoded_slash', `encoded '/' at ${i}`);
        if (decoded === 0x5c) return refuse('encoded_backslash', `encoded '\\' at ${i}`);
        if (decoded === 0x25) return refuse('encoded_percent', `encoded '%' (double encoding) at ${i}`);
      }
      i += 2;
      continue;
    }
    if (c === 0x5c /* \ */) return refuse('backslash', `'\\' at ${i}`);
    if (c === 0x23 /* # */) return refuse('fragment', `'#' at ${i}`);
    if (!inQuery && c === 0x3b /* ; */) return refuse('path_parameter', `';' in the path at ${i}`);
    if (c >= 128 || (inQuery ? QUERY_CHAR[c] : PATH_CHAR[c]) !== 1) return refuse('bad_character', `character 0x${c.toString(16)} at ${i}`);
  }
  if (!inQuery && target.length > 1) {
    const problem = segmentProblem(target, segmentStart, target.length);
    if (problem) return problem;
  }
  // Catch-all: whatever a WHATWG parser (what most cores and frameworks use) would change.
  const parsed = new URL(target, 'http://core.invalid');
  if (parsed.pathname + parsed.search !== target) {
    return refuse('not_normalised', `normalises to '${(parsed.pathname + parsed.search).slice(0, 64)}'`);
  }
  if (basePath === '') return { ok: true, path: target };
  if (!target.startsWith(basePath) || target.charCodeAt(basePath.length) !== 0x2f) {
    return refuse('outside_base_path', `not under inbound.basePath '${basePath}'`);
  }
  return { ok: true, path: target.slice(basePath.length) };
}

/** A path segment from `start` to `end` (exclusive): empty, `.` and `..` are refused. */
function segmentProblem(target: string, start: number, end: number): CanonicalTarget | undefined {
  const length = end - start;
  if (length === 0) return refuse('empty_segment', `empty path segment at ${start}`);
  if (target.charCodeAt(start) === 0x2e && (length === 1 || (length === 2 && target.charCodeAt(start + 1) === 0x2e))) {
    return refuse('dot_segment', `dot segment at ${start}`);
  }
  return undefined;
}

export const parseTarget: Stage<InboundExchange> = {
  name: 'parse-target',
  run(ex) {
    const t = canonicalTarget(ex.target, ex.rt.basePath);
    if (!t.ok) throw new SidecarError('MALFORMED_REQUEST', `target_${t.reason}`, `${t.detail}: '${printable(ex.target)}'`);
    ex.path = t.path;
    ex.resource = leadingResource(t.path);
  },
};

/** For the log only: bounded, control characters shown as escapes. */
function printable(s: string): string {
  const head = s.slice(0, 96);
  return head.replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`) + (s.length > 96 ? '…' : '');
}
