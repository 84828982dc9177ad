import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildProtectedHeader, decodeProtectedHeader, formatSignatureHeader, parseSignatureHeader } from '../../../../src/crypto/jws/signature-header.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const PH = b64('{"alg":"RS256","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"a"}');
const SIG_BYTES = randomBytes(256);
const SIG = SIG_BYTES.toString('base64url');

describe('parseSignatureHeader', () => {
  it('reads both member orders (SDK <= 19.18.8 and >= 19.18.9) and any JSON spacing', () => {
    for (const value of [
      formatSignatureHeader(SIG, PH),
      `{"protectedHeader":"${PH}","signature":"${SIG}"}`,
      `{ "signature": "${SIG}", "protectedHeader": "${PH}"\n}`,
      `{"signature":"${SIG}","protectedHeader":"${PH}","kid":"x"}`,
    ]) {
      const parsed = parseSignatureHeader(value);
      expect(parsed).toEqual({ protectedHeader: PH, signature: SIG_BYTES });
    }
  });

  const bad: Array<[string, string, RegExp]> = [
    ['not JSON', 'signature=abc', /not JSON/],
    ['an array', `["${SIG}"]`, /not a JSON object/],
    ['no protectedHeader', `{"signature":"${SIG}"}`, /no protectedHeader/],
    ['a numeric signature', `{"signature":1,"protectedHeader":"${PH}"}`, /no signature string/],
    ['an empty signature', `{"signature":"","protectedHeader":"${PH}"}`, /no signature string/],
    ['padding', `{"signature":"${SIG}==","protectedHeader":"${PH}"}`, /not canonical/],
    ['standard base64 characters', `{"signature":"${SIG.replace(/[-_]/g, '+')}+","protectedHeader":"${PH}"}`, /not canonical/],
    ['an invalid character Node would skip', `{"signature":"${SIG.slice(0, 10)}!${SIG.slice(10)}","protectedHeader":"${PH}"}`, /not canonical/],
    ['an escaped member (fast path declines, JSON path rejects the junk)', `{"signature":"${SIG}\\u0021","protectedHeader":"${PH}"}`, /not canonical/],
    ['an oversized signature', `{"signature":"${'A'.repeat(600)}","protectedHeader":"${PH}"}`, /longer than 512/],
    ['an oversized header', `{"signature":"${SIG}","protectedHeader":"${'A'.repeat(40000)}"}`, /longer than/],
  ];
  for (const [name, value, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(parseSignatureHeader(value)).toMatch(message);
    });
  }

  it('rejects a signature whose unused trailing bits were flipped (it would decode to the same bytes)', () => {
    // 256 bytes = 341.33 base64 chars: the last char carries 4 unused bits.
    const last = SIG[SIG.length - 1]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flipped = SIG.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(flipped, 'base64url').equals(SIG_BYTES)).toBe(true);
    expect(parseSignatureHeader(formatSignatureHeader(flipped, PH))).toMatch(/not canonical/);
  });
});

describe('decodeProtectedHeader / buildProtectedHeader', () => {
  it('builds the SDK member order without typ, and decodes it back', () => {
    const json = buildProtectedHeader({ alg: 'RS256', uri: '/transfers/1', method: 'PUT', source: 'payeefsp', destination: 'payerfsp', date: 'Tue, 23 May 2017 21:12:31 GMT' });
    expect(json).toBe('{"alg":"RS256","FSPIOP-URI":"/transfers/1","FSPIOP-HTTP-Method":"PUT","FSPIOP-Source":"payeefsp","FSPIOP-Destination":"payerfsp","Date":"Tue, 23 May 2017 21:12:31 GMT"}');
    expect(buildProtectedHeader({ alg: 'ES256', uri: '/q', method: 'POST', source: 's', destination: undefined, date: undefined })).toBe('{"alg":"ES256","FSPIOP-URI":"/q","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"s"}');
    expect(decodeProtectedHeader(b64(json))).toEqual({ alg: 'RS256', uri: '/transfers/1', method: 'PUT', source: 'payeefsp', destination: 'payerfsp', date: 'Tue, 23 May 2017 21:12:31 GMT' });
  });

  it('ignores extra members, treats empty strings as absent, and keeps member names case-sensitive', () => {
    expect(decodeProtectedHeader(b64('{"alg":"RS256","typ":"JWT","kid":"k","FSPIOP-URI":"","FSPIOP-HTTP-METHOD":"PUT"}'))).toEqual({
      alg: 'RS256',
      uri: undefined,
      method: undefined,
      source: undefined,
      destination: undefined,
      date: undefined,
    });
  });

  it('rejects non-JSON, non-objects and non-string members', () => {
    expect(decodeProtectedHeader(b64('nope'))).toMatch(/not base64url-encoded JSON/);
    expect(decodeProtectedHeader(b64('["RS256"]'))).toMatch(/not a JSON object/);
    expect(decodeProtectedHeader(b64('{"alg":"RS256","FSPIOP-Source":7}'))).toMatch(/FSPIOP-Source is not a string/);
  });
});
