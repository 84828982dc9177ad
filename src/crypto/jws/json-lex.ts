/**
 * Byte-level JSON lexing for the outbound canonicaliser (canonical.ts): string and number tokens,
 * whitespace, and the refusals that only the source text can reveal.
 *
 * Errors are `SidecarError('UNSIGNABLE_BODY', reason, detail)`; details give offsets and byte
 * values, never body content (bodies carry personal data).
 */
import { SidecarError } from '../../shared/errors.js';
import { sameDecimalValue } from './decimal.js';

/** Reason tokens of `UNSIGNABLE_BODY` raised by the canonicaliser. */
export type UnsignableReason =
  | 'empty_body'
  | 'invalid_utf8'
  | 'byte_order_mark'
  | 'invalid_json'
  | 'not_object'
  | 'too_deep'
  | 'duplicate_key'
  | 'proto_key'
  | 'unsafe_number'
  | 'negative_zero'
  | 'lone_surrogate'
  | 'index_key_order';

export interface Cursor {
  /** The bytes as a plain Uint8Array: V8 reads those faster than through a Buffer. */
  readonly u: Uint8Array;
  /** The same bytes as a Buffer, for the rare UTF-8 decode (escaped strings, non-ASCII keys). */
  readonly b: Buffer;
  /**
   * Input bytes [start, end) as a latin1 string, one char per byte: numbers and escaped strings
   * need text. The whole-body string is made on first use only (most bodies have neither), and
   * slicing it is cheap where decoding each token from the Buffer would cross into C++ each time.
   */
  text(start: number, end: number): string;
  i: number;
  depth: number;
  /** Set by scanString: the literal had a backslash escape / a byte ≥ 0x80. */
  esc: boolean;
  high: boolean;
}

export function createCursor(b: Buffer): Cursor {
  let latin1: string | undefined;
  return {
    u: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    b,
    text: (start, end) => (latin1 ??= b.toString('latin1')).slice(start, end),
    i: 0,
    depth: 0,
    esc: false,
    high: false,
  };
}

// In unicode mode a surrogate pair is one code point, so this matches only unpaired surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Byte classes inside a string literal: 0 plain, 1 quote, 2 backslash, 3 control, 4 non-ASCII. */
const STRING_CLASS = new Uint8Array(256);
for (let ch = 0; ch < 0x20; ch++) STRING_CLASS[ch] = 3;
STRING_CLASS[0x22] = 1;
STRING_CLASS[0x5c] = 2;
for (let ch = 0x80; ch < 0x100; ch++) STRING_CLASS[ch] = 4;

/** Characters allowed after a backslash other than `u`: " \ / b f n r t */
const SHORT_ESCAPE = new Uint8Array(256);
for (const ch of [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]) SHORT_ESCAPE[ch] = 1;

export function unsignable(reason: UnsignableReason, detail: string): SidecarError {
  return new SidecarError('UNSIGNABLE_BODY', reason, detail);
}

export function syntaxError(c: Cursor, expected: string): SidecarError {
  const at = c.i;
  const found = at >= c.u.length ? 'end of body' : `byte 0x${c.u[at]!.toString(16).padStart(2, '0')}`;
  return unsignable('invalid_json', `body is not valid JSON: expected ${expected} at offset ${at}, found ${found}`);
}

export function skipWs(c: Cursor): void {
  const u = c.u;
  let i = c.i;
  let ch = u[i];
  // Compact bodies have no whitespace: one load and compare on the common path.
  if (ch === undefined || ch > 0x20) return;
  while (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) ch = u[++i];
  c.i = i;
}

function isHex(ch: number | undefined): boolean {
  return ch !== undefined && ((ch >= 0x30 && ch <= 0x39) || ((ch | 0x20) >= 0x61 && (ch | 0x20) <= 0x66));
}

export function isDigit(ch: number | undefined): boolean {
  return ch !== undefined && ch >= 0x30 && ch <= 0x39;
}

/** Advances past the string literal at c.i and returns its start. Sets c.esc and c.high. */
export function scanString(c: Cursor): number {
  const u = c.u;
  const n = u.length;
  const start = c.i;
  let i = start + 1;
  let esc = false;
  let high = false;
  for (;;) {
    // The signer's hottest loop: one table load per plain byte.
    while (i < n && STRING_CLASS[u[i]!] === 0) i++;
    if (i >= n) {
      c.i = i;
      throw syntaxError(c, 'a closing quote');
    }
    const cls = STRING_CLASS[u[i]!];
    if (cls === 1) break;
    if (cls === 4) {
      high = true;
      i++;
    } else if (cls === 2) {
      esc = true;
      const e = u[i + 1];
      if (e === 0x75) {
        if (!isHex(u[i + 2]) || !isHex(u[i + 3]) || !isHex(u[i + 4]) || !isHex(u[i + 5])) {
          c.i = i;
          throw syntaxError(c, 'four hex digits after \\u');
        }
        i += 6;
      } else if (e !== undefined && SHORT_ESCAPE[e] === 1) {
        i += 2;
      } else {
        c.i = i;
        throw syntaxError(c, 'a valid escape');
      }
    } else {
      c.i = i;
      throw syntaxError(c, 'an escaped control character');
    }
  }
  c.i = i + 1;
  c.esc = esc;
  c.high = high;
  return start;
}

/** Decodes an escaped string literal (already validated by scanString); refuses lone surrogates. */
export function decodeEscaped(c: Cursor, start: number, end: number): string {
  const decoded = JSON.parse(c.b.toString('utf8', start, end)) as string;
  if (LONE_SURROGATE.test(decoded)) {
    throw unsignable('lone_surrogate', `string at offset ${start} holds an unpaired UTF-16 surrogate, which is not Unicode text (RFC 7493 §2.1)`);
  }
  return decoded;
}

/** The JSON.stringify literal of a decoded string, as UTF-8 in one-char-per-byte form. */
export function encodeString(decoded: string): string {
  const text = JSON.stringify(decoded);
  return ASCII_ONLY.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * Advances past the number at c.i and returns its canonical text (`String(Number(text))`).
 * A different spelling of the same value (1.0, 1E2, 0.50) is normalised; a number whose value
 * would change on a round trip through a double is refused, and so is -0 (every validator's
 * re-serialisation turns it into 0).
 */
export function scanNumber(c: Cursor): string {
  const u = c.u;
  const start = c.i;
  let i = start;
  let integer = true;
  if (u[i] === 0x2d) i++;
  if (u[i] === 0x30) {
    i++;
  } else if (isDigit(u[i])) {
    i++;
    while (isDigit(u[i])) i++;
  } else {
    c.i = i;
    throw syntaxError(c, 'a digit');
  }
  if (u[i] === 0x2e) {
    integer = false;
    i++;
    if (!isDigit(u[i])) {
      c.i = i;
      throw syntaxError(c, 'a digit after the decimal point');
    }
    while (isDigit(u[i])) i++;
  }
  if (u[i] === 0x65 || u[i] === 0x45) {
    integer = false;
    i++;
    if (u[i] === 0x2b || u[i] === 0x2d) i++;
    if (!isDigit(u[i])) {
      c.i = i;
      throw syntaxError(c, 'a digit in the exponent');
    }
    while (isDigit(u[i])) i++;
  }
  c.i = i;
  const text = c.text(start, i);
  // Up to 15 characters an integer is below 2^53 and already canonical; only -0 is not.
  if (integer && i - start <= 15 && text !== '-0') return text;
  const value = Number(text);
  const canonical = String(value);
  if (canonical === text) return canonical;
  if (!Number.isFinite(value)) {
    throw unsignable('unsafe_number', `number at offset ${start} overflows an IEEE-754 double and would be re-serialised as null`);
  }
  if (Object.is(value, -0)) {
    if (sameDecimalValue(text, '0')) {
      throw unsignable('negative_zero', `number at offset ${start} is negative zero, which every re-serialisation turns into 0`);
    }
    throw unsignable('unsafe_number', `number at offset ${start} underflows an IEEE-754 double and would be re-serialised as 0`);
  }
  if (sameDecimalValue(text, canonical)) return canonical;
  throw unsignable('unsafe_number', `number at offset ${start} (${i - start} characters) changes value on a round trip through an IEEE-754 double (e.g. an integer beyond 2^53)`);
}
