/**
 * JSON encodings of an FSPIOP body.
 *
 * Outbound (`canonicalizeJson`): the bytes we sign *and* send are the body re-serialised compact,
 * object keys sorted recursively by UTF-16 code units, arrays in order, strings and numbers as
 * ECMAScript `JSON.stringify` writes them (reference §3.4). Every Mojaloop validator re-serialises
 * the parsed body before checking the signature, SDK ≥ 19.18.9 with sorted keys and older ones in
 * parse order; both reproduce exactly these bytes (traps T1, T2, T3).
 *
 * This is one pass over the bytes instead of `JSON.parse` + stringify, for two reasons:
 * - `JSON.parse` hides what a signer must refuse: duplicate keys (last wins, data silently lost),
 *   numbers whose value changes on the way through a double, `__proto__` keys (hub frameworks
 *   reject them), unpaired surrogates (RFC 7493 §2.1);
 * - speed: the parse records byte ranges (a "tape"), sorts members by comparing key bytes, and
 *   writes the output once. No string is built for a token that is already canonical, and an
 *   already-canonical subtree (or body) is copied as one range.
 *
 * The tape and the output writer are in canonical-tape.ts; the lexer in json-lex.ts.
 */
import { isUtf8 } from 'node:buffer';
import {
  createCursor,
  decodeEscaped,
  encodeString,
  isDigit,
  scanNumber,
  scanString,
  skipWs,
  syntaxError,
  unsignable,
  type Cursor,
} from './json-lex.js';

import { ARRAY, closeContainer, node, OBJECT, sideNode, tapeFor, VERBATIM, writeCanonical, type Tape } from './canonical-tape.js';

export type { UnsignableReason } from './json-lex.js';
export { stringifySorted } from './reserialise.js';

/** FSPIOP bodies nest about 6 deep; the cap keeps recursion far from the stack limit. */
export const MAX_JSON_DEPTH = 64;

/** Byte order of two unescaped ASCII names equals their UTF-16 code unit order. */
function compareKeyBytes(u: Uint8Array, t: Tape, x: number, y: number): number {
  const as = t.keyStart[x]! + 1;
  const bs = t.keyStart[y]! + 1;
  const la = t.keyEnd[x]! - 1 - as;
  const lb = t.keyEnd[y]! - 1 - bs;
  const n = la < lb ? la : lb;
  for (let k = 0; k < n; k++) {
    const d = u[as + k]! - u[bs + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

const PROTO = Buffer.from('"__proto__"', 'latin1');

/** The 11 bytes at `at` are `"__proto__"` (an unescaped member name). */
function isProto(u: Uint8Array, at: number): boolean {
  for (let k = 0; k < 11; k++) if (u[at + k] !== PROTO[k]) return false;
  return true;
}

function isArrayIndex(key: string): boolean {
  if (key === '0') return true;
  const first = key.charCodeAt(0);
  return first >= 0x31 && first <= 0x39 && key.length <= 10 && /^[0-9]+$/.test(key) && Number(key) < 4294967295;
}

/**
 * A peer on SDK ≤ 19.18.8 re-serialises in JavaScript property order, which lists array-index
 * names ("2", "10") first, in numeric order. Sorted output only survives that if both agree.
 */
function checkIndexKeyOrder(sortedKeys: readonly string[], at: number): void {
  let sawOther = false;
  let last = -1;
  for (const k of sortedKeys) {
    if (isArrayIndex(k)) {
      const n = Number(k);
      if (sawOther || n < last) {
        throw unsignable('index_key_order', `object at offset ${at} has integer-like member names that validators on SDK <= 19.18.8 re-order, so they could not verify it`);
      }
      last = n;
    } else {
      sawOther = true;
    }
  }
}

function duplicate(at: number): never {
  throw unsignable('duplicate_key', `object at offset ${at} repeats a member name; JSON parsers keep only the last value`);
}

/**
 * Sorts the member ids stack[base, base + count) by decoded name. Used when a name is escaped,
 * non-ASCII (UTF-8 byte order differs from UTF-16 order above U+FFFF) or integer-like.
 */
function sortByDecodedNames(c: Cursor, t: Tape, base: number, count: number, at: number): boolean {
  const entries: Array<{ id: number; name: string }> = [];
  for (let i = 0; i < count; i++) {
    const m = t.stack[base + i]!;
    entries.push({ id: m, name: JSON.parse(c.b.toString('utf8', t.keyStart[m]!, t.keyEnd[m]!)) as string });
  }
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  let moved = false;
  for (let i = 0; i < count; i++) {
    if (i > 0 && entries[i]!.name === entries[i - 1]!.name) duplicate(at);
    if (t.stack[base + i] !== entries[i]!.id) moved = true;
    t.stack[base + i] = entries[i]!.id;
  }
  checkIndexKeyOrder(entries.map((e) => e.name), at);
  return moved;
}

function objectValue(c: Cursor, t: Tape): number {
  const u = c.u;
  const at = c.i;
  if (++c.depth > MAX_JSON_DEPTH) throw unsignable('too_deep', `nesting deeper than ${MAX_JSON_DEPTH} at offset ${at}`);
  c.i++;
  skipWs(c);
  if (u[c.i] === 0x7d) {
    c.i++;
    c.depth--;
    return c.i - at === 2 ? node(t, VERBATIM, at, c.i, 2) : sideNode(t, '{}');
  }
  const base = t.sp;
  let inOrder = true;
  let allVerbatim = true;
  let plainKeys = true;
  let content = 0;
  for (;;) {
    if (u[c.i] !== 0x22) throw syntaxError(c, 'a member name');
    const ks = scanString(c);
    const ke = c.i;
    let keySide = -1;
    let keyLen = ke - ks;
    if (c.esc) {
      const key = decodeEscaped(c, ks, ke);
      if (key === '__proto__') throw unsignable('proto_key', `member name "__proto__" at offset ${ks}; prototype-pollution guards in hub frameworks reject it`);
      const text = encodeString(key);
      if (text !== c.text(ks, ke)) {
        t.side.push(text);
        keySide = t.side.length - 1;
        keyLen = text.length;
      }
      plainKeys = false;
    } else {
      if (c.high) plainKeys = false;
      if (keyLen === 11 && isProto(u, ks)) {
        throw unsignable('proto_key', `member name "__proto__" at offset ${ks}; prototype-pollution guards in hub frameworks reject it`);
      }
    }
    if (isDigit(u[ks + 1])) plainKeys = false;
    const m = t.members++;
    t.keyStart[m] = ks;
    t.keyEnd[m] = ke;
    t.keySide[m] = keySide;
    skipWs(c);
    if (u[c.i] !== 0x3a) throw syntaxError(c, "':'");
    c.i++;
    skipWs(c);
    const v = value(c, t);
    t.value[m] = v;
    if (t.kind[v] !== VERBATIM || keySide !== -1) allVerbatim = false;
    content += keyLen + 1 + t.len[v]!;
    if (inOrder && plainKeys && t.sp > base && compareKeyBytes(u, t, t.stack[t.sp - 1]!, m) >= 0) inOrder = false;
    t.stack[t.sp++] = m;
    skipWs(c);
    const ch = u[c.i];
    if (ch === 0x2c) {
      c.i++;
      skipWs(c);
      continue;
    }
    if (ch === 0x7d) {
      c.i++;
      break;
    }
    throw syntaxError(c, "',' or '}'");
  }
  c.depth--;
  const count = t.sp - base;
  const len = content + count + 1;
  const ids = t.stack;
  if (!plainKeys) {
    inOrder = !sortByDecodedNames(c, t, base, count, at);
  } else if (!inOrder) {
    // Insertion sort: FSPIOP objects have a handful of members.
    for (let i = base + 1; i < t.sp; i++) {
      const m = ids[i]!;
      let j = i - 1;
      while (j >= base && compareKeyBytes(u, t, ids[j]!, m) > 0) {
        ids[j + 1] = ids[j]!;
        j--;
      }
      ids[j + 1] = m;
    }
    for (let i = base + 1; i < t.sp; i++) if (compareKeyBytes(u, t, ids[i - 1]!, ids[i]!) === 0) duplicate(at);
  }
  // Sorted, canonical members and no whitespace: the object is its own canonical form.
  if (inOrder && allVerbatim && len === c.i - at) {
    t.sp = base;
    return node(t, VERBATIM, at, c.i, len);
  }
  const first = closeContainer(t, base);
  return node(t, OBJECT, first, count, len);
}

function arrayValue(c: Cursor, t: Tape): number {
  const u = c.u;
  const at = c.i;
  if (++c.depth > MAX_JSON_DEPTH) throw unsignable('too_deep', `nesting deeper than ${MAX_JSON_DEPTH} at offset ${at}`);
  c.i++;
  skipWs(c);
  if (u[c.i] === 0x5d) {
    c.i++;
    c.depth--;
    return c.i - at === 2 ? node(t, VERBATIM, at, c.i, 2) : sideNode(t, '[]');
  }
  const base = t.sp;
  let allVerbatim = true;
  let content = 0;
  for (;;) {
    const v = value(c, t);
    t.stack[t.sp++] = v;
    if (t.kind[v] !== VERBATIM) allVerbatim = false;
    content += t.len[v]!;
    skipWs(c);
    const ch = u[c.i];
    if (ch === 0x2c) {
      c.i++;
      skipWs(c);
      continue;
    }
    if (ch === 0x5d) {
      c.i++;
      break;
    }
    throw syntaxError(c, "',' or ']'");
  }
  c.depth--;
  const count = t.sp - base;
  const len = content + count + 1;
  if (allVerbatim && len === c.i - at) {
    t.sp = base;
    return node(t, VERBATIM, at, c.i, len);
  }
  const first = closeContainer(t, base);
  return node(t, ARRAY, first, count, len);
}

function literal(c: Cursor, t: Tape, word: string): number {
  const at = c.i;
  for (let k = 0; k < word.length; k++) {
    if (c.u[at + k] !== word.charCodeAt(k)) {
      c.i = at + k;
      throw syntaxError(c, `'${word}'`);
    }
  }
  c.i = at + word.length;
  return node(t, VERBATIM, at, c.i, word.length);
}

function value(c: Cursor, t: Tape): number {
  const ch = c.u[c.i];
  switch (ch) {
    case 0x7b:
      return objectValue(c, t);
    case 0x5b:
      return arrayValue(c, t);
    case 0x22: {
      const s = scanString(c);
      const e = c.i;
      // Without escapes a valid literal is already in JSON.stringify form: control characters,
      // `"` and `\` cannot appear raw, and valid UTF-8 carries no lone surrogates.
      if (!c.esc) return node(t, VERBATIM, s, e, e - s);
      const text = encodeString(decodeEscaped(c, s, e));
      return text === c.text(s, e) ? node(t, VERBATIM, s, e, e - s) : sideNode(t, text);
    }
    case 0x74:
      return literal(c, t, 'true');
    case 0x66:
      return literal(c, t, 'false');
    case 0x6e:
      return literal(c, t, 'null');
    default: {
      if (ch !== 0x2d && !isDigit(ch)) throw syntaxError(c, 'a JSON value');
      const s = c.i;
      const text = scanNumber(c);
      // Same length is not enough: 1e2 and 100 are both three characters.
      return text.length === c.i - s && text === c.text(s, c.i) ? node(t, VERBATIM, s, c.i, text.length) : sideNode(t, text);
    }
  }
}

/**
 * The canonical bytes to sign and send: compact, keys sorted recursively. May return `body`
 * itself when it already is canonical. Throws `SidecarError('UNSIGNABLE_BODY', reason, detail)`
 * for anything no validator could verify. The top-level value must be an object or array: SDK body
 * parsers run in strict mode, and a falsy scalar fails the SDK validator ("without a body").
 */
export function canonicalizeJson(body: Uint8Array): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (b.length === 0) throw unsignable('empty_body', 'the body is empty; there is nothing to sign');
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    throw unsignable('byte_order_mark', 'the body starts with a UTF-8 byte order mark, which is not JSON (RFC 8259 §8.1)');
  }
  if (!isUtf8(b)) throw unsignable('invalid_utf8', 'the body is not valid UTF-8 (RFC 8259 §8.1)');
  const c = createCursor(b);
  const t = tapeFor(b.length);
  skipWs(c);
  if (c.i >= b.length) throw unsignable('empty_body', 'the body is only whitespace; there is nothing to sign');
  const first = c.u[c.i];
  const root = value(c, t);
  skipWs(c);
  if (c.i !== b.length) throw syntaxError(c, 'end of body');
  if (first !== 0x7b && first !== 0x5b) throw unsignable('not_object', 'the body is a JSON scalar; FSPIOP bodies are JSON objects');
  if (t.kind[root] === VERBATIM && t.a[root] === 0 && t.b[root] === b.length) return b;
  return writeCanonical(c.u, t, root);
}

