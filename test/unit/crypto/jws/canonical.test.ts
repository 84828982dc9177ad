import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeJson, stringifySorted } from '../../../../src/crypto/jws/canonical.js';
import { SidecarError } from '../../../../src/shared/errors.js';
import { bulkQuoteBody, quoteBody } from './fixtures.js';

// The serialiser SDK >= 19.18.9 signs and validates with (a dependency of the SDK under test).
const require = createRequire(import.meta.url);
const safeStableStringify = require('safe-stable-stringify') as (v: unknown) => string;

const canon = (text: string | Buffer): string => canonicalizeJson(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8')).toString('utf8');

function refusal(text: string | Buffer): SidecarError {
  try {
    canonicalizeJson(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
  } catch (err) {
    expect(err).toBeInstanceOf(SidecarError);
    return err as SidecarError;
  }
  throw new Error(`expected a refusal for ${JSON.stringify(String(text))}`);
}

describe('canonicalizeJson: output', () => {
  it('sorts keys recursively, keeps array order and drops whitespace', () => {
    expect(canon('{ "b": [3, {"z": 1, "a": 2}], "a": {"d": null, "c": true} }\n')).toBe('{"a":{"c":true,"d":null},"b":[3,{"a":2,"z":1}]}');
  });

  it('produces exactly what safe-stable-stringify (SDK >= 19.18.9) produces for FSPIOP bodies', () => {
    for (const body of [quoteBody(), bulkQuoteBody()]) {
      expect(canon(JSON.stringify(body))).toBe(safeStableStringify(body));
      expect(canon(JSON.stringify(body, null, 2))).toBe(safeStableStringify(body));
    }
  });

  it('returns the input buffer itself when it is already canonical', () => {
    const input = Buffer.from(safeStableStringify(quoteBody()));
    expect(canonicalizeJson(input)).toBe(input);
    const nonAsciiKeys = Buffer.from('{"a":1,"é":{"ü":[],"ž":"\\n"}}');
    expect(canonicalizeJson(nonAsciiKeys)).toBe(nonAsciiKeys);
  });

  it('sorts by UTF-16 code units, as Array.prototype.sort does', () => {
    // U+FF5E (BMP, above the surrogates) sorts after U+1F600 (surrogate pair D83D DE00) in
    // UTF-16 order, but before it in UTF-8 byte order.
    const text = '{"\u{ff5e}":1,"\u{1f600}":2,"Z":3,"a":4,"é":5}';
    expect(canon(text)).toBe(safeStableStringify(JSON.parse(text)));
    expect(canon(text)).toBe('{"Z":3,"a":4,"é":5,"\u{1f600}":2,"\u{ff5e}":1}');
  });

  it('writes strings as JSON.stringify does: UTF-8 instead of \\u escapes, no escaped slash, short control escapes', () => {
    expect(canon(String.raw`{"a":"caf\u00e9 \/ \u0041\u000a\u001f\"\\"}`)).toBe('{"a":"café / A\\n\\u001f\\"\\\\"}');
    expect(canon(String.raw`{"a":"\ud83d\ude00"}`)).toBe('{"a":"\u{1f600}"}');
    expect(canon('{"a":"\u2028\u007f"}')).toBe('{"a":"\u2028\u007f"}');
  });

  it('normalises escaped member names before sorting and writing them', () => {
    expect(canon(String.raw`{"b":1,"\u0061":2}`)).toBe('{"a":2,"b":1}');
  });

  it('re-spells numbers whose value is unchanged (1.0, 1e2, 0.50, 1E+21)', () => {
    expect(canon('[1.0, 1e2, 1E2, 0.50, 1E+21, 100e-2, -5.0e0, 0e5, 1234567890123456e-3]')).toBe('[1,100,100,0.5,1e+21,1,-5,0,1234567890123.456]');
  });

  it('keeps numbers that are already canonical, including large exact integers', () => {
    expect(canon('[0,-1,123456789012345,9007199254740992,18014398509481984,0.1,1e-7,5e-324,1.7976931348623157e+308]')).toBe(
      '[0,-1,123456789012345,9007199254740992,18014398509481984,0.1,1e-7,5e-324,1.7976931348623157e+308]',
    );
  });

  it('accepts a top-level array and integer-like keys that sort the same in both orders', () => {
    expect(canon('[{"b":1,"a":2}]')).toBe('[{"a":2,"b":1}]');
    expect(canon('{"b":1,"1":2,"0":3}')).toBe('{"0":3,"1":2,"b":1}');
  });
});

describe('canonicalizeJson: refusals (UNSIGNABLE_BODY, FSPIOP 3101)', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['empty body', '', 'empty_body'],
    ['whitespace only', ' \n\t', 'empty_body'],
    ['byte order mark', Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), 'byte_order_mark'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'invalid_utf8'],
    ['UTF-8-encoded surrogate', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), 'invalid_utf8'],
    ['not JSON', 'transferState=COMMITTED', 'invalid_json'],
    ['trailing garbage', '{"a":1}x', 'invalid_json'],
    ['trailing comma', '{"a":1,}', 'invalid_json'],
    ['single quotes', "{'a':1}", 'invalid_json'],
    ['leading zero', '{"a":01}', 'invalid_json'],
    ['bare dot', '{"a":1.}', 'invalid_json'],
    ['raw control character in a string', '{"a":"x\ty"}', 'invalid_json'],
    ['bad escape', String.raw`{"a":"\x41"}`, 'invalid_json'],
    ['short unicode escape', String.raw`{"a":"\u12"}`, 'invalid_json'],
    ['unterminated string', '{"a":"abc', 'invalid_json'],
    ['NaN', '{"a":NaN}', 'invalid_json'],
    ['two documents', '{}{}', 'invalid_json'],
    ['top-level string', '"COMMITTED"', 'not_object'],
    ['top-level number', '0', 'not_object'],
    ['top-level null', 'null', 'not_object'],
    ['duplicate key', '{"a":1,"b":2,"a":3}', 'duplicate_key'],
    ['duplicate key via escape', String.raw`{"a":1,"\u0061":2}`, 'duplicate_key'],
    ['nested duplicate key', '{"x":{"k":1,"k":1}}', 'duplicate_key'],
    ['__proto__ key', '{"__proto__":{"admin":true}}', 'proto_key'],
    ['escaped __proto__ key', String.raw`{"__pr\u006fto__":{}}`, 'proto_key'],
    ['integer beyond 2^53', '{"amount":12345678901234567890}', 'unsafe_number'],
    ['2^53 + 1', '{"n":9007199254740993}', 'unsafe_number'],
    ['excess precision', '{"n":0.10000000000000001}', 'unsafe_number'],
    ['overflow', '{"n":1e400}', 'unsafe_number'],
    ['underflow', '{"n":1e-400}', 'unsafe_number'],
    ['negative underflow', '{"n":-1e-400}', 'unsafe_number'],
    ['negative zero', '{"n":-0}', 'negative_zero'],
    ['negative zero with fraction', '{"n":-0.0e3}', 'negative_zero'],
    ['lone high surrogate', String.raw`{"a":"\ud800"}`, 'lone_surrogate'],
    ['lone low surrogate in a key', String.raw`{"\udc00":1}`, 'lone_surrogate'],
    ['index keys that re-order', '{"2":1,"10":2}', 'index_key_order'],
    ['index key after a symbol key', '{"1":1,"-":2}', 'index_key_order'],
    ['too deep', `${'['.repeat(65)}${']'.repeat(65)}`, 'too_deep'],
  ];
  for (const [name, input, reason] of cases) {
    it(`${name} → ${reason}`, () => {
      const err = refusal(input);
      expect(err.code).toBe('UNSIGNABLE_BODY');
      expect(err.reason).toBe(reason);
      expect(err.entry.fspiopCode).toBe('3101');
    });
  }

  it('names offsets, never body content, in the detail', () => {
    const err = refusal('{"secretName":"Alice","amount":12345678901234567890}');
    expect(err.detail).toMatch(/offset 31/);
    expect(err.detail).not.toContain('Alice');
    expect(err.detail).not.toContain('1234567890123');
  });
});

describe('canonicalizeJson: properties', () => {
  const oldValidator = (text: string): string => JSON.stringify(JSON.parse(text)); // SDK <= 19.18.8
  const newValidator = (text: string): string => safeStableStringify(JSON.parse(text)); // SDK >= 19.18.9
  // In unicode mode the class matches unpaired surrogates only.
  const hasLoneSurrogate = (v: unknown): boolean => {
    if (typeof v === 'string') return /[\uD800-\uDFFF]/u.test(v);
    if (Array.isArray(v)) return v.some(hasLoneSurrogate);
    if (typeof v === 'object' && v !== null) return Object.entries(v).some(([k, x]) => hasLoneSurrogate(k) || hasLoneSurrogate(x));
    return false;
  };

  it('equals safe-stable-stringify for any JSON, and every validator reproduces the output', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), fc.boolean(), (value, pretty) => {
        if (typeof value !== 'object' || value === null) return; // scalars are refused by design
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        let out: string;
        try {
          out = canon(text);
        } catch (err) {
          const reason = (err as SidecarError).reason;
          // Refusals must be justified by an independent oracle.
          if (reason === 'lone_surrogate') expect(hasLoneSurrogate(value)).toBe(true);
          else if (reason === 'proto_key') expect(JSON.stringify(value)).toContain('"__proto__":');
          else if (reason === 'index_key_order') expect(oldValidator(safeStableStringify(value))).not.toBe(safeStableStringify(value));
          else throw err;
          return;
        }
        expect(out).toBe(safeStableStringify(value));
        expect(newValidator(out)).toBe(out);
        expect(oldValidator(out)).toBe(out);
      }),
      { numRuns: 400 },
    );
  });

  it('is idempotent and agrees with stringifySorted on its own output', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 })), (value) => {
        let out: Buffer;
        try {
          out = canonicalizeJson(Buffer.from(JSON.stringify(value)));
        } catch (err) {
          expect(['index_key_order', 'proto_key']).toContain((err as SidecarError).reason);
          return;
        }
        expect(canonicalizeJson(out).equals(out)).toBe(true);
        expect(stringifySorted(JSON.parse(out.toString('utf8')))).toBe(out.toString('utf8'));
      }),
      { numRuns: 300 },
    );
  });

  // Independent oracle for numbers: exact decimal value as BigInt mantissa and power of ten.
  const exact = (text: string): { m: bigint; e: number } => {
    const [mant, exp] = text.toLowerCase().split('e') as [string, string | undefined];
    const [int, frac = ''] = mant.split('.') as [string, string | undefined];
    return { m: BigInt(int.replace('-', '') + frac) * (mant.startsWith('-') ? -1n : 1n), e: Number(exp ?? 0) - frac.length };
  };
  const sameValue = (a: string, b: string): boolean => {
    const x = exact(a);
    const y = exact(b);
    const e = Math.min(x.e, y.e);
    return x.m * 10n ** BigInt(x.e - e) === y.m * 10n ** BigInt(y.e - e);
  };

  it('keeps a number exactly when its value survives a double, and refuses it otherwise', () => {
    const spelling = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).map((d) => (Object.is(d, -0) ? '0' : String(d))),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).map((d) => d.toExponential()),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).map((d) => (Object.is(d, -0) ? '0.0' : d.toPrecision(17))),
      fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => `${m}e${e}`),
    );
    fc.assert(
      fc.property(spelling, (text) => {
        const canonical = String(Number(text));
        const survives = Number.isFinite(Number(text)) && !Object.is(Number(text), -0) && sameValue(text, canonical);
        if (survives) {
          expect(canon(`[${text}]`)).toBe(`[${canonical}]`);
        } else {
          expect(['unsafe_number', 'negative_zero']).toContain(refusal(`[${text}]`).reason);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but SidecarError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          canonicalizeJson(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SidecarError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('stringifySorted', () => {
  it('matches safe-stable-stringify on parsed bodies, including non-finite numbers and odd keys', () => {
    const value = JSON.parse('{"z":[1,{"b":"\\ud800","a":1e400}],"__proto__":{"x":1},"10":0,"2":0}') as unknown;
    expect(stringifySorted(value)).toBe(safeStableStringify(value));
  });

  it('throws RangeError rather than overflowing the stack on absurd nesting', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(() => stringifySorted(deep)).toThrow(RangeError);
  });
});
