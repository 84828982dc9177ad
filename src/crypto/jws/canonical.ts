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
 * Inbound (`stringifySorted`, and `JSON.stringify`): the two re-serialisations that peers sign,
 * applied to the parsed received body when its raw bytes do not verify (reference §4.4 step 6).
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

export type { UnsignableReason } from './json-lex.js';

/** FSPIOP bodies nest about 6 deep; the cap keeps recursion far from the stack limit. */
export const MAX_JSON_DEPTH = 64;

const VERBATIM = 0; // a = start, b = end: input bytes already canonical
const SIDE = 1; // a = index into side[]: canonical text, one char per byte
const OBJECT = 2; // a = first index into list of member ids (sorted), b = count
const ARRAY = 3; // a = first index into list of node ids, b = count

/**
 * The parse result: nodes, object members and child lists in typed arrays. Growing JS arrays
 * cost ~20× more than typed-array stores here (allocation and GC per call), so the arrays are
 * sized from the body length (every node and member spans at least one input byte) and, for
 * bodies up to SCRATCH_LIMIT, reused across calls. Canonicalisation is synchronous and never
 * re-entered, so one scratch set is safe.
 */
interface Tape {
  readonly kind: Uint8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Output length of each node, in bytes. */
  readonly len: Int32Array;
  nodes: number;
  /** Members: the key literal's input range (quotes included), or its canonical text in side[]. */
  readonly keyStart: Int32Array;
  readonly keyEnd: Int32Array;
  readonly keySide: Int32Array;
  readonly value: Int32Array;
  members: number;
  /** Children of closed containers, contiguous per container. */
  readonly list: Int32Array;
  listed: number;
  /** Children of the containers still open. */
  readonly stack: Int32Array;
  sp: number;
  side: string[];
}

const SCRATCH_LIMIT = 64 * 1024;
let scratch: Tape | undefined;

function allocTape(capacity: number): Tape {
  return {
    kind: new Uint8Array(capacity),
    a: new Int32Array(capacity),
    b: new Int32Array(capacity),
    len: new Int32Array(capacity),
    nodes: 0,
    keyStart: new Int32Array(capacity),
    keyEnd: new Int32Array(capacity),
    keySide: new Int32Array(capacity),
    value: new Int32Array(capacity),
    members: 0,
    list: new Int32Array(2 * capacity),
    listed: 0,
    stack: new Int32Array(2 * capacity),
    sp: 0,
    side: [],
  };
}

function tapeFor(bodyLength: number): Tape {
  const capacity = bodyLength + 8;
  if (bodyLength > SCRATCH_LIMIT) return allocTape(capacity);
  if (scratch === undefined || scratch.kind.length < capacity) scratch = allocTape(Math.max(capacity, 4096));
  scratch.nodes = 0;
  scratch.members = 0;
  scratch.listed = 0;
  scratch.sp = 0;
  scratch.side = [];
  return scratch;
}

function node(t: Tape, kind: number, a: number, b: number, len: number): number {
  const id = t.nodes++;
  t.kind[id] = kind;
  t.a[id] = a;
  t.b[id] = b;
  t.len[id] = len;
  return id;
}

function sideNode(t: Tape, text: string): number {
  t.side.push(text);
  return node(t, SIDE, t.side.length - 1, 0, text.length);
}

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

/** Moves the ids of a closing container from the open stack to the list; returns where they start. */
function closeContainer(t: Tape, base: number): number {
  const first = t.listed;
  const count = t.sp - base;
  for (let i = 0; i < count; i++) t.list[first + i] = t.stack[base + i]!;
  t.listed += count;
  t.sp = base;
  return first;
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
 * Output writer. Input and output share one ArrayBuffer (input copy first), so a byte range is
 * moved with one `copyWithin` and no allocation. Consecutive output that is also consecutive in
 * the input, including the `{` `,` `:` between members that stay in input order, grows one pending
 * run and is copied at once: the number of copies follows the number of re-orderings, not tokens.
 */
interface Writer {
  readonly u: Uint8Array;
  readonly work: Uint8Array;
  /** Next output byte, as an index into work. */
  pos: number;
  runStart: number;
  runEnd: number;
}

let sharedWork: Uint8Array | undefined;

/** Input copy + output, reused for bodies up to SCRATCH_LIMIT (allocation dominated otherwise). */
function workBuffer(size: number): Uint8Array {
  if (size > 2 * SCRATCH_LIMIT) return new Uint8Array(size);
  if (sharedWork === undefined || sharedWork.length < size) sharedWork = new Uint8Array(Math.max(size, 16 * 1024));
  return sharedWork;
}

function flush(w: Writer): void {
  const n = w.runEnd - w.runStart;
  if (n === 0) return;
  const work = w.work;
  if (n <= 12) {
    let p = w.pos;
    for (let k = w.runStart; k < w.runEnd; k++) work[p++] = work[k]!;
  } else {
    work.copyWithin(w.pos, w.runStart, w.runEnd);
  }
  w.pos += n;
  w.runStart = w.runEnd;
}

function putRange(w: Writer, s: number, e: number): void {
  if (s !== w.runEnd) {
    flush(w);
    w.runStart = s;
  }
  w.runEnd = e;
}

function putByte(w: Writer, ch: number): void {
  // Any input byte equal to ch is a valid source, so the run may grow over it.
  if (w.u[w.runEnd] === ch) {
    w.runEnd++;
    return;
  }
  flush(w);
  w.work[w.pos++] = ch;
}

function putText(w: Writer, text: string): void {
  flush(w);
  const work = w.work;
  let p = w.pos;
  for (let k = 0; k < text.length; k++) work[p++] = text.charCodeAt(k);
  w.pos = p;
}

function emit(w: Writer, t: Tape, id: number): void {
  const kind = t.kind[id]!;
  if (kind === VERBATIM) return putRange(w, t.a[id]!, t.b[id]!);
  if (kind === SIDE) return putText(w, t.side[t.a[id]!]!);
  const first = t.a[id]!;
  const count = t.b[id]!;
  if (kind === ARRAY) {
    putByte(w, 0x5b);
    for (let i = 0; i < count; i++) {
      if (i > 0) putByte(w, 0x2c);
      emit(w, t, t.list[first + i]!);
    }
    return putByte(w, 0x5d);
  }
  putByte(w, 0x7b);
  for (let i = 0; i < count; i++) {
    if (i > 0) putByte(w, 0x2c);
    const m = t.list[first + i]!;
    const ks = t.keySide[m]!;
    if (ks >= 0) putText(w, t.side[ks]!);
    else putRange(w, t.keyStart[m]!, t.keyEnd[m]!);
    putByte(w, 0x3a);
    emit(w, t, t.value[m]!);
  }
  putByte(w, 0x7d);
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
  const outLength = t.len[root]!;
  const work = workBuffer(b.length + outLength);
  work.set(c.u, 0);
  const w: Writer = { u: c.u, work, pos: b.length, runStart: 0, runEnd: 0 };
  emit(w, t, root);
  flush(w);
  if (w.pos !== b.length + outLength) throw new Error(`canonicalizeJson: wrote ${w.pos - b.length} of ${outLength} bytes`);
  const out = Buffer.allocUnsafe(outLength);
  out.set(work.subarray(b.length, w.pos), 0);
  return out;
}

function sortedInto(v: unknown, depth: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (depth > 512) throw new RangeError('nesting too deep to re-serialise');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          out += sortedInto(v[i], depth + 1);
        }
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out += ',';
        const k = keys[i]!;
        out += `${JSON.stringify(k)}:${sortedInto(o[k], depth + 1)}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}

/**
 * `safe-stable-stringify` of a `JSON.parse` result, which SDK ≥ 19.18.9 signs and validates:
 * names sorted by UTF-16 code units, `JSON.stringify` string escaping, non-finite numbers as null.
 * Throws RangeError beyond 512 levels of nesting.
 */
export function stringifySorted(value: unknown): string {
  return sortedInto(value, 0);
}
