import { verify as cryptoVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fspiopDate, loadSigningKey, signRequest, type SignInput } from '../../../../src/crypto/jws/index.js';
import { SidecarError } from '../../../../src/shared/errors.js';
import { DATE, DESTINATION, keyPair, quoteBody, SOURCE } from './fixtures.js';
import { specPrivatePem, V2, V2_V3_PROTECTED_HEADER, V2_V3_REQUEST as R } from './vectors.js';

const safeStableStringify = createRequire(import.meta.url)('safe-stable-stringify') as (v: unknown) => string;
const rsa = keyPair('RS256');
const base = (over: Partial<SignInput> = {}): SignInput => ({
  method: 'POST',
  path: '/quotes',
  headers: { date: DATE, 'fspiop-destination': DESTINATION },
  body: Buffer.from(JSON.stringify(quoteBody())),
  source: SOURCE,
  key: rsa.signingKey,
  ...over,
});

function parts(headers: Readonly<Record<string, string>>): { protectedHeader: string; signature: string; decoded: Record<string, string> } {
  const { protectedHeader, signature } = JSON.parse(headers['fspiop-signature']!) as { protectedHeader: string; signature: string };
  return { protectedHeader, signature, decoded: JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as Record<string, string> };
}

function thrown(fn: () => unknown): SidecarError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SidecarError);
    return err as SidecarError;
  }
  throw new Error('expected a SidecarError');
}

describe('signRequest', () => {
  it('reproduces SDK 19.19.1 output byte for byte (reference vector V2)', () => {
    const out = signRequest({
      method: R.method,
      path: R.path,
      headers: { date: R.date, 'fspiop-destination': R.destination },
      body: Buffer.from(JSON.stringify(R.body)),
      source: R.source,
      key: loadSigningKey(specPrivatePem()),
    });
    expect(out.signed).toBe(true);
    expect(out.body!.toString('utf8')).toBe(V2.body);
    expect(out.headers['fspiop-uri']).toBe('/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069');
    expect(out.headers['fspiop-http-method']).toBe('PUT');
    expect(parts(out.headers)).toMatchObject({ protectedHeader: V2_V3_PROTECTED_HEADER, signature: V2.signature });
  });

  it('sets every header, in the SDK protected-header order, and content-length of the bytes sent', () => {
    const out = signRequest(base());
    expect(Object.keys(out.headers).sort()).toEqual(['content-length', 'date', 'fspiop-destination', 'fspiop-http-method', 'fspiop-signature', 'fspiop-source', 'fspiop-uri']);
    expect(out.headers).toMatchObject({ date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST' });
    expect(out.headers['content-length']).toBe(String(out.body!.length));
    const { decoded } = parts(out.headers);
    expect(Object.keys(decoded)).toEqual(['alg', 'FSPIOP-URI', 'FSPIOP-HTTP-Method', 'FSPIOP-Source', 'FSPIOP-Destination', 'Date']);
    expect(decoded).not.toHaveProperty('typ');
  });

  it('signs exactly the bytes it returns: ASCII(protectedHeader . BASE64URL(body))', () => {
    const out = signRequest(base());
    const { protectedHeader, signature } = parts(out.headers);
    const input = Buffer.from(`${protectedHeader}.${out.body!.toString('base64url')}`);
    expect(cryptoVerify('sha256', input, rsa.publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
    // The sent body is the sorted canonical form of the core's JSON (what SDK >= 19.18.9 signs).
    expect(out.body!.toString()).toBe(safeStableStringify(quoteBody()));
  });

  it('ES256 signatures are 64-byte raw r||s (JOSE), not DER', () => {
    const ec = keyPair('ES256');
    const out = signRequest(base({ key: ec.signingKey }));
    const { protectedHeader, signature, decoded } = parts(out.headers);
    expect(decoded.alg).toBe('ES256');
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    const input = Buffer.from(`${protectedHeader}.${out.body!.toString('base64url')}`);
    expect(cryptoVerify('sha256', input, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('is byte-stable for the same input (safe to resend on retry)', () => {
    const a = signRequest(base());
    const b = signRequest(base());
    expect(a.headers).toEqual(b.headers);
    expect(a.body!.equals(b.body!)).toBe(true);
  });

  it('makes FSPIOP-URI service-relative: no base path, host or query', () => {
    expect(signRequest(base({ path: '/api/fspiop/quotes?trace=1' })).headers['fspiop-uri']).toBe('/quotes');
    expect(signRequest(base({ method: 'put', path: '/gw/transfers/abc/error' })).headers['fspiop-uri']).toBe('/transfers/abc/error');
  });

  it("keeps the core's Date only when it is already in toUTCString form", () => {
    const now = () => new Date('2026-11-28T10:00:00Z');
    expect(fspiopDate('Tue, 23 May 2017 21:12:31 GMT', now)).toBe('Tue, 23 May 2017 21:12:31 GMT');
    // The hub "corrects" these (even the weekday), which would break the signature: replace them.
    for (const bad of ['Tue, 3 May 2017 21:12:31 GMT', 'Wed, 23 May 2017 21:12:31 GMT', '2017-05-23T21:12:31Z', 'Tue, 23 May 2017 21:12:31 +0000', 'garbage', '']) {
      expect(fspiopDate(bad, now)).toBe('Sat, 28 Nov 2026 10:00:00 GMT');
    }
    const out = signRequest(base({ headers: { date: 'yesterday' }, now }));
    expect(out.headers.date).toBe('Sat, 28 Nov 2026 10:00:00 GMT');
    expect(parts(out.headers).decoded.Date).toBe('Sat, 28 Nov 2026 10:00:00 GMT');
  });

  it('includes FSPIOP-Destination in both places when known, and in neither when not', () => {
    const explicit = signRequest(base({ destination: 'other', headers: { date: DATE, 'fspiop-destination': DESTINATION } }));
    expect(explicit.headers['fspiop-destination']).toBe('other');
    expect(parts(explicit.headers).decoded['FSPIOP-Destination']).toBe('other');
    const none = signRequest(base({ headers: { date: DATE, 'fspiop-destination': '' } }));
    expect(none.headers).not.toHaveProperty('fspiop-destination');
    expect(parts(none.headers).decoded).not.toHaveProperty('FSPIOP-Destination');
  });

  it('never signs GET, HEAD, OPTIONS or DELETE; passes their body through', () => {
    for (const method of ['GET', 'get', 'HEAD', 'OPTIONS', 'DELETE']) {
      const out = signRequest(base({ method, path: '/parties/MSISDN/1', body: undefined }));
      expect(out.signed).toBe(false);
      expect(out.body).toBeUndefined();
      expect(out.headers).toEqual({ date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION });
    }
  });

  it('signs PUT /parties by default and leaves it unsigned, bytes untouched, when the policy says so', () => {
    const raw = Buffer.from('{ "party": {"name": "x"} }');
    expect(signRequest(base({ method: 'PUT', path: '/parties/MSISDN/1', body: raw })).signed).toBe(true);
    const off = signRequest(base({ method: 'PUT', path: '/parties/MSISDN/1/error', body: raw }), { signPutParties: false });
    expect(off.signed).toBe(false);
    expect(off.body).toBe(raw);
    expect(off.headers).toEqual({ date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION, 'content-length': String(raw.length) });
    expect(signRequest(base({ method: 'POST', path: '/parties/MSISDN/1', body: raw }), { signPutParties: false }).signed).toBe(true);
  });

  it('refuses bodies it cannot sign verifiably, with UNSIGNABLE_BODY (FSPIOP 3101)', () => {
    expect(thrown(() => signRequest(base({ body: undefined }))).reason).toBe('empty_body');
    expect(thrown(() => signRequest(base({ body: Buffer.from('amount=1') }))).reason).toBe('invalid_json');
    expect(thrown(() => signRequest(base({ body: Buffer.from('{"n":12345678901234567890}') }))).reason).toBe('unsafe_number');
    const err = thrown(() => signRequest(base({ body: Buffer.from('{"a":1,"a":2}') })));
    expect(err.code).toBe('UNSIGNABLE_BODY');
    expect(err.entry).toMatchObject({ status: 400, fspiopCode: '3101' });
  });

  it('refuses header values that would not survive HTTP unchanged', () => {
    expect(thrown(() => signRequest(base({ destination: 'pay\u00e9e' }))).reason).toBe('invalid_header');
    expect(thrown(() => signRequest(base({ source: 'payer\r\nX-Evil: 1' }))).reason).toBe('invalid_header');
    expect(thrown(() => signRequest(base({ destination: ' padded' }))).reason).toBe('invalid_header');
  });

  it('reports a key that cannot sign as SIGNING_FAILED', () => {
    const broken = { ...rsa.signingKey, signKey: rsa.publicKey };
    const err = thrown(() => signRequest(base({ key: broken })));
    expect(err.code).toBe('SIGNING_FAILED');
  });
});
