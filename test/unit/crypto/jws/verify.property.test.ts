import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest, stringifySorted, verifyRequest, type SignResult, type VerifyInput } from '../../../../src/crypto/jws/index.js';
import { SidecarError } from '../../../../src/shared/errors.js';
import { DATE, DESTINATION, keyPair, keySetFrom, SOURCE } from './fixtures.js';

const safeStableStringify = createRequire(import.meta.url)('safe-stable-stringify') as (v: unknown) => string;
const rsa = keyPair('RS256');
const ec = keyPair('ES256');
const keys = keySetFrom({ [`${SOURCE}.pem`]: rsa.publicPem, [`${SOURCE}.next.pem`]: ec.publicPem }).keySet;

/** JSON object bodies with arbitrary Unicode (astral planes, combining marks) in keys and values. */
const bodies = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 }), { minKeys: 1, maxKeys: 8 });
const paths = fc.constantFrom('/quotes', '/transfers/1', '/parties/MSISDN/1', '/fxTransfers/2/error', '/bulkQuotes');
const methods = fc.constantFrom('POST', 'PUT', 'PATCH');

function trySign(body: unknown, method: string, path: string, alg: 'RS256' | 'ES256'): SignResult | undefined {
  try {
    return signRequest({ method, path, headers: { date: DATE }, destination: DESTINATION, body: Buffer.from(JSON.stringify(body)), source: SOURCE, key: (alg === 'RS256' ? rsa : ec).signingKey });
  } catch (err) {
    // Refusals are legitimate for bodies no validator could verify; anything else is a bug.
    expect((err as SidecarError).code).toBe('UNSIGNABLE_BODY');
    expect(['index_key_order', 'proto_key']).toContain((err as SidecarError).reason);
    return undefined;
  }
}

const input = (s: SignResult, method: string, path: string): VerifyInput & { body: Buffer } => ({ method, path, headers: s.headers, body: s.body! });

describe('sign → verify (properties)', () => {
  it('everything we sign verifies, on the raw bytes, with the key that signed it', () => {
    fc.assert(
      fc.property(bodies, methods, paths, fc.constantFrom('RS256', 'ES256') as fc.Arbitrary<'RS256' | 'ES256'>, (body, method, path, alg) => {
        const s = trySign(body, method, path, alg);
        if (s === undefined) return;
        expect(s.body!.toString('utf8')).toBe(safeStableStringify(body));
        const r = verifyRequest(input(s, method, path), keys);
        expect(r).toMatchObject({ ok: true, verified: true, matched: 'raw', alg });
      }),
      { numRuns: 150 },
    );
  });

  it('any single-byte change to the body is rejected, unless it leaves the same JSON value', () => {
    fc.assert(
      fc.property(bodies, fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, delta) => {
        const s = trySign(body, 'POST', '/quotes', 'RS256');
        if (s === undefined) return;
        const changed = Buffer.from(s.body!);
        const i = at % changed.length;
        changed[i] = (changed[i]! + delta) & 0xff;
        const r = verifyRequest({ ...input(s, 'POST', '/quotes'), body: changed }, keys);
        if (r.ok) {
          // Only a different spelling of the very same value (e.g. \u001f vs \u001F) may pass,
          // and then only through a re-serialisation, never as raw bytes.
          expect(r.verified && r.matched).not.toBe('raw');
          expect(stringifySorted(JSON.parse(changed.toString('utf8')))).toBe(s.body!.toString('utf8'));
        } else {
          expect(['signature_mismatch', 'malformed_json']).toContain(r.reason);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('any single-character change to the protected header or the signature is rejected', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(bodies, fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 63 }), fc.constantFrom('RS256', 'ES256') as fc.Arbitrary<'RS256' | 'ES256'>, (body, inHeader, at, shift, alg) => {
        const s = trySign(body, 'PUT', '/transfers/1', alg);
        if (s === undefined) return;
        const parsed = JSON.parse(s.headers['fspiop-signature']!) as { signature: string; protectedHeader: string };
        const target = inHeader ? parsed.protectedHeader : parsed.signature;
        const i = at % target.length;
        const replaced = target.slice(0, i) + alphabet[(alphabet.indexOf(target[i]!) + shift) % 64]! + target.slice(i + 1);
        const value = JSON.stringify(inHeader ? { ...parsed, protectedHeader: replaced } : { ...parsed, signature: replaced });
        const r = verifyRequest({ ...input(s, 'PUT', '/transfers/1'), headers: { ...s.headers, 'fspiop-signature': value } }, keys);
        expect(r.ok).toBe(false);
        expect(!r.ok && r.code).toBe('INVALID_SIGNATURE');
      }),
      { numRuns: 300 },
    );
  });
});

describe('verifyRequest never throws or hangs (fuzz)', () => {
  const headerValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(SOURCE, 'Hub', '/quotes', 'POST', 'PUT', DATE, ''),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    fc.constant(undefined),
  );
  const signatureValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 2 }),
    fc.tuple(fc.base64String({ maxLength: 400 }), fc.base64String({ maxLength: 400 })).map(([a, b]) => JSON.stringify({ signature: a.replace(/=+$/, ''), protectedHeader: b.replace(/=+$/, '') })),
    fc.tuple(fc.json({ maxDepth: 2 }), fc.uint8Array({ maxLength: 300 })).map(([ph, sig]) => JSON.stringify({ protectedHeader: Buffer.from(ph).toString('base64url'), signature: Buffer.from(sig).toString('base64url') })),
  );

  it('returns a well-formed result for arbitrary headers, bodies and methods', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'DELETE', 'post', 'BREW', ''),
        fc.oneof(paths, fc.string({ maxLength: 30 })),
        fc.record({ 'fspiop-source': headerValue, 'fspiop-uri': headerValue, 'fspiop-http-method': headerValue, 'fspiop-destination': headerValue, date: headerValue, 'fspiop-signature': fc.oneof(signatureValue, headerValue) }, { requiredKeys: [] }),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => Buffer.from(j)), fc.constant(undefined)),
        (method, path, headers, body) => {
          const started = process.hrtime.bigint();
          const r = verifyRequest({ method, path, headers: headers as VerifyInput['headers'], body }, keys);
          expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(250);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) {
            expect(typeof r.reason).toBe('string');
            expect(['MISSING_HEADER', 'INVALID_SIGNATURE', 'MALFORMED_JSON']).toContain(r.code);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('handles hostile bodies behind a valid signature header: deep nesting, huge numbers, junk', () => {
    const s = trySign({ a: 1 }, 'POST', '/quotes', 'RS256')!;
    for (const body of ['['.repeat(100_000), `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"n":1${'0'.repeat(5000)}}`, '\u0000'.repeat(1000), '{"a":"\\ud800"}']) {
      const r = verifyRequest({ ...input(s, 'POST', '/quotes'), body: Buffer.from(body) }, keys);
      expect(r.ok).toBe(false);
    }
  });
});
