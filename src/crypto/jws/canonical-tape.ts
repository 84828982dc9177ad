/**
 * The canonicaliser's intermediate form and its output writer (canonical.ts parses into it).
 *
 * A "tape" holds nodes, object members and child lists in typed arrays: growing JS arrays cost
 * ~20× more here (allocation and GC per call). The arrays are sized from the body length (a JSON
 * value takes at least two bytes with its separator, a member at least five) and, for bodies up to
 * SCRATCH_LIMIT, reused across calls. Canonicalisation is synchronous and never re-entered, so one
 * scratch set per thread is safe.
 */

export const VERBATIM = 0; // a = start, b = end: input bytes already canonical
export const SIDE = 1; // a = index into side[]: canonical text, one char per byte
export const OBJECT = 2; // a = first index into list of member ids (sorted), b = count
export const ARRAY = 3; // a = first index into list of node ids, b = count

export interface Tape {
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
  /** Largest body length the arrays are sized for. */
  readonly capacity: number;
}

export const SCRATCH_LIMIT = 64 * 1024;
let scratch: Tape | undefined;

/**
 * Bounds for an n-byte body: a value needs at least one byte plus a separator, except the last in
 * its container, so there are at most n/2 + 1 values; a member ("":0 plus a comma) needs five
 * bytes. Lists and stacks hold member and value ids, at most one entry per id. The margins are
 * generous; canonicalizeJson also checks the number of bytes written.
 */
function allocTape(bodyLength: number): Tape {
  const nodes = (bodyLength >> 1) + 16;
  const members = (bodyLength >> 2) + 16;
  const ids = nodes + members;
  return {
    kind: new Uint8Array(nodes),
    a: new Int32Array(nodes),
    b: new Int32Array(nodes),
    len: new Int32Array(nodes),
    nodes: 0,
    keyStart: new Int32Array(members),
    keyEnd: new Int32Array(members),
    keySide: new Int32Array(members),
    value: new Int32Array(members),
    members: 0,
    list: new Int32Array(ids),
    listed: 0,
    stack: new Int32Array(ids),
    sp: 0,
    side: [],
    capacity: bodyLength,
  };
}

export function tapeFor(bodyLength: number): Tape {
  if (bodyLength > SCRATCH_LIMIT) return allocTape(bodyLength);
  if (scratch === undefined || scratch.capacity < bodyLength) scratch = allocTape(Math.max(bodyLength, 4096));
  scratch.nodes = 0;
  scratch.members = 0;
  scratch.listed = 0;
  scratch.sp = 0;
  scratch.side = [];
  return scratch;
}

export function node(t: Tape, kind: number, a: number, b: number, len: number): number {
  const id = t.nodes++;
  t.kind[id] = kind;
  t.a[id] = a;
  t.b[id] = b;
  t.len[id] = len;
  return id;
}

export function sideNode(t: Tape, text: string): number {
  t.side.push(text);
  return node(t, SIDE, t.side.length - 1, 0, text.length);
}

/** Moves the ids of a closing container from the open stack to the list; returns where they start. */
export function closeContainer(t: Tape, base: number): number {
  const first = t.listed;
  const count = t.sp - base;
  for (let i = 0; i < count; i++) t.list[first + i] = t.stack[base + i]!;
  t.listed += count;
  t.sp = base;
  return first;
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

/** Writes the canonical bytes of `root`, whose input is `u`, into a new Buffer. */
export function writeCanonical(u: Uint8Array, t: Tape, root: number): Buffer {
  const outLength = t.len[root]!;
  const work = workBuffer(u.length + outLength);
  work.set(u, 0);
  const w: Writer = { u, work, pos: u.length, runStart: 0, runEnd: 0 };
  emit(w, t, root);
  flush(w);
  if (w.pos !== u.length + outLength) throw new Error(`canonicalizeJson: wrote ${w.pos - u.length} of ${outLength} bytes`);
  const out = Buffer.allocUnsafe(outLength);
  out.set(work.subarray(u.length, w.pos), 0);
  return out;
}
