import { sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createVerifyPolicy,
  signRequest,
  VERIFY_REASON_CODES,
  VERIFY_REASONS,
  verifyRequest,
  type PeerKeySet,
  type VerifyInput,
  type VerifyPolicy,
  type VerifyResult,
} from '../../../../src/crypto/jws/index.js';
import { CATALOGUE } from '../../../../src/shared/errors.js';
import { DATE, DESTINATION, keyPair, keySetFrom, quoteBody, SOURCE, type TestKeyPair } from './fixtures.js';
import { SPEC_PUBLIC_PEM, specPublicKeyMatchesPem, V1, V2, V2_V3_PROTECTED_HEADER, V2_V3_REQUEST as R, V3 } from './vectors.js';

const rsa = keyPair('RS256');
const ec = keyPair('ES256');
const hub = keyPair('RS256', 'hub');
const keys: PeerKeySet = keySetFrom({ [`${SOURCE}.pem`]: rsa.publicPem, 'ecfsp.pem': ec.publicPem, 'Hub.pem': hub.publicPem }).keySet;

/** Signs like our outbound gateway would, and returns the inbound request the receiver sees. */
function signed(over: { method?: string; path?: string; body?: unknown; source?: string; key?: TestKeyPair; destination?: string | undefined } = {}): VerifyInput & { body: Buffer } {
  const method = over.method ?? 'POST';
  const path = over.path ?? '/quotes';
  const out = signRequest({
    method,
    path,
    headers: { date: DATE },
    destination: 'destination' in over ? over.destination : DESTINATION,
    body: Buffer.from(JSON.stringify(over.body ?? quoteBody())),
    source: over.source ?? SOURCE,
    key: (over.key ?? rsa).signingKey,
  });
  return { method, path, headers: { ...out.headers, 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' }, body: out.body! };
}

/** A hand-made FSPIOP-Signature over any protected header JSON and payload. */
function handSigned(protectedJson: string, payload: Buffer, kp: TestKeyPair = rsa, hash = 'sha256'): string {
  const ph = Buffer.from(protectedJson).toString('base64url');
  const key = kp.alg === 'ES256' ? { key: kp.privateKey, dsaEncoding: 'ieee-p1363' as const } : kp.privateKey;
  const signature = cryptoSign(hash, Buffer.from(`${ph}.${payload.toString('base64url')}`), key).toString('base64url');
  return JSON.stringify({ signature, protectedHeader: ph });
}

function withHeaders(input: VerifyInput, changes: Record<string, string | string[] | undefined>): VerifyInput {
  const headers: Record<string, string | string[] | undefined> = { ...input.headers };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  return { ...input, headers };
}

const verify = (input: VerifyInput, policy?: VerifyPolicy, set: PeerKeySet = keys): VerifyResult => verifyRequest(input, set, policy);
const reason = (r: VerifyResult): string => (r.ok ? (r.verified ? `verified:${r.matched}` : `exempt:${r.exemption}`) : r.reason);

describe('reference vectors (fspiop-jws.md §10)', () => {
  const spec = keySetFrom({ '1234.pem': SPEC_PUBLIC_PEM, 'payeefsp.pem': SPEC_PUBLIC_PEM }).keySet;
  const v2v3 = (body: string, signature: string): VerifyInput => ({
    method: 'PUT',
    path: R.path,
    headers: {
      date: R.date,
      'fspiop-source': R.source,
      'fspiop-destination': R.destination,
      'fspiop-uri': R.path,
      'fspiop-http-method': 'PUT',
      'fspiop-signature': JSON.stringify({ signature, protectedHeader: V2_V3_PROTECTED_HEADER }),
    },
    body: Buffer.from(body),
  });

  it('the reference SPKI PEM is the public half of the spec JWK', () => {
    expect(specPublicKeyMatchesPem()).toBe(true);
  });

  it('V1 (Signature_v1.1 §4, unsorted compact payload) verifies on its raw bytes', () => {
    const input: VerifyInput = { method: V1.method, path: V1.path, headers: { ...V1.headers, 'fspiop-signature': JSON.stringify({ signature: V1.signature, protectedHeader: V1.protectedHeader }) }, body: Buffer.from(V1.payload, 'base64url') };
    const r = verify(input, undefined, spec);
    expect(r).toMatchObject({ ok: true, verified: true, matched: 'raw', source: '1234', alg: 'RS256' });
  });

  it("V1 with either of the spec's corrupt printed signatures is rejected as an invalid signature", () => {
    for (const signature of V1.corruptSignatures) {
      const input: VerifyInput = { method: 'POST', path: '/quotes', headers: { ...V1.headers, 'fspiop-signature': JSON.stringify({ signature, protectedHeader: V1.protectedHeader }) }, body: Buffer.from(V1.payload, 'base64url') };
      const r = verify(input, undefined, spec);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.code).toBe('INVALID_SIGNATURE');
    }
  });

  it('V2 (SDK 19.19.1, sorted keys) verifies raw', () => {
    expect(verify(v2v3(V2.body, V2.signature), undefined, spec)).toMatchObject({ ok: true, matched: 'raw' });
  });

  it('V3 (SDK 19.18.8, insertion order), which SDK >= 19.18.9 rejects, verifies raw', () => {
    expect(verify(v2v3(V3.body, V3.signature), undefined, spec)).toMatchObject({ ok: true, matched: 'raw' });
  });

  it('the V2 signature still verifies when a hop re-ordered the body (matched: sorted)', () => {
    expect(verify(v2v3(V3.body, V2.signature), undefined, spec)).toMatchObject({ ok: true, matched: 'sorted' });
  });

  it('the V3 signature still verifies when a hop pretty-printed the body (matched: insertion)', () => {
    const pretty = JSON.stringify(JSON.parse(V3.body), null, 2);
    expect(verify(v2v3(pretty, V3.signature), undefined, spec)).toMatchObject({ ok: true, matched: 'insertion' });
  });
});

describe('negative vectors (fspiop-jws.md §10): our outcome next to the SDK 19.19.1 one', () => {
  it('HTTP fspiop-destination added but not protected: reject under sdk-strict (as the SDK), accept under spec', () => {
    const input = withHeaders(signed({ destination: undefined }), { 'fspiop-destination': 'payeefsp' });
    expect(reason(verify(input))).toBe('destination_mismatch');
    expect(reason(verify(input, createVerifyPolicy({ destination: 'spec' })))).toBe('verified:raw');
  });

  it('protected Destination, HTTP header removed: reject (both policies)', () => {
    const input = withHeaders(signed(), { 'fspiop-destination': undefined });
    expect(reason(verify(input))).toBe('destination_mismatch');
    expect(reason(verify(input, createVerifyPolicy({ destination: 'spec' })))).toBe('destination_mismatch');
  });

  it('protected Date with the HTTP date removed or changed by one character: reject', () => {
    expect(reason(verify(withHeaders(signed(), { date: undefined })))).toBe('date_mismatch');
    expect(reason(verify(withHeaders(signed(), { date: DATE.replace('10:00:00', '10:00:01') })))).toBe('date_mismatch');
  });

  it('HTTP date present, Date not protected: accept', () => {
    const body = Buffer.from('{"a":1}');
    const sig = handSigned(`{"alg":"RS256","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, body);
    const input: VerifyInput = { method: 'POST', path: '/quotes', headers: { date: DATE, 'fspiop-source': SOURCE, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST', 'fspiop-signature': sig }, body };
    expect(reason(verify(input))).toBe('verified:raw');
  });

  it('fspiop-http-method "put" against a protected "PUT": reject', () => {
    const input = withHeaders(signed({ method: 'PUT', path: '/quotes/1' }), { 'fspiop-http-method': 'put' });
    expect(reason(verify(input))).toBe('method_mismatch');
  });

  it('FSPIOP-Source that differs only in case from the key file name: reject (no key)', () => {
    const input = withHeaders(signed(), { 'fspiop-source': 'PayerFSP' });
    const r = verify(input);
    expect(reason(r)).toBe('unknown_source');
    expect(!r.ok && r.code).toBe('INVALID_SIGNATURE');
  });

  it('alg RS512 or HS256: reject; RS512 only verifies when the policy enables it', () => {
    const body = Buffer.from('{"a":1}');
    const header = (alg: string) => `{"alg":"${alg}","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`;
    const base = { method: 'POST', path: '/quotes', body };
    const h = { 'fspiop-source': SOURCE, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST' };
    const rs512: VerifyInput = { ...base, headers: { ...h, 'fspiop-signature': handSigned(header('RS512'), body, rsa, 'sha512') } };
    const hs256: VerifyInput = { ...base, headers: { ...h, 'fspiop-signature': handSigned(header('HS256'), body) } };
    expect(reason(verify(rs512))).toBe('alg_not_allowed');
    expect(reason(verify(hs256))).toBe('alg_not_allowed');
    expect(verify(rs512, createVerifyPolicy({ algorithms: ['RS256', 'RS512'] }))).toMatchObject({ ok: true, alg: 'RS512' });
    expect(reason(verify(hs256, createVerifyPolicy({ algorithms: ['RS256', 'RS512'] })))).toBe('alg_not_allowed');
  });

  it('DIFFERS from the SDK: a body with a top-level "exp" in the past is accepted (no JWT claim checks, trap T12)', () => {
    expect(reason(verify(signed({ body: { exp: 1000, nbf: 9_999_999_999, transferState: 'COMMITTED' } })))).toBe('verified:raw');
  });

  it('DIFFERS from the SDK: a pretty-printed, newline-terminated, re-escaped or 1.0 body is accepted when the signed canonical form matches', () => {
    const original = signed({ body: { note: 'café / x', amount: 1 } });
    const variants = [
      JSON.stringify(JSON.parse(original.body.toString()), null, 2),
      `${original.body.toString()}\n`,
      original.body.toString().replace('é', '\\u00e9'),
      original.body.toString().replace(' / ', ' \\/ '),
      original.body.toString().replace('"amount":1', '"amount":1.0'),
    ];
    for (const v of variants) {
      expect(v).not.toBe(original.body.toString());
      expect(reason(verify({ ...original, body: Buffer.from(v) }))).toBe('verified:sorted');
    }
  });

  it('unsorted compact keys (SDK <= 19.18.8 signers): accepted, as old SDKs do and SDK >= 19.18.9 does not', () => {
    const body = Buffer.from('{"transferState":"COMMITTED","completedTimestamp":"2017-05-23T21:12:31.000Z"}');
    const sig = handSigned(`{"alg":"RS256","FSPIOP-URI":"/transfers/1","FSPIOP-HTTP-Method":"PUT","FSPIOP-Source":"${SOURCE}"}`, body);
    const input: VerifyInput = { method: 'PUT', path: '/transfers/1', headers: { 'fspiop-source': SOURCE, 'fspiop-uri': '/transfers/1', 'fspiop-http-method': 'PUT', 'fspiop-signature': sig }, body };
    expect(reason(verify(input))).toBe('verified:raw');
  });

  it('protected header with extra typ, kid and FSPIOP-Encryption: accept', () => {
    const body = Buffer.from('{"a":1}');
    const sig = handSigned(`{"typ":"JWT","kid":"k1","alg":"RS256","FSPIOP-Encryption":"x","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, body);
    const input: VerifyInput = { method: 'POST', path: '/quotes', headers: { 'fspiop-source': SOURCE, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST', 'fspiop-signature': sig }, body };
    expect(reason(verify(input))).toBe('verified:raw');
  });

  it('FSPIOP-URI header and protected both "/whatever" (not the real path): refused by default (enforce), noted under record, accepted under off', () => {
    const body = Buffer.from('{"a":1}');
    const sig = handSigned(`{"alg":"RS256","FSPIOP-URI":"/whatever","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, body);
    const input: VerifyInput = { method: 'POST', path: '/quotes', headers: { 'fspiop-source': SOURCE, 'fspiop-uri': '/whatever', 'fspiop-http-method': 'POST', 'fspiop-signature': sig }, body };
    const enforced = verify(input);
    expect(reason(enforced)).toBe('request_mismatch');
    expect(!enforced.ok && CATALOGUE[enforced.code].fspiopCode).toBe('3105');
    const recorded = verify(input, createVerifyPolicy({ requestLine: 'record' }));
    expect(reason(recorded)).toBe('verified:raw');
    expect(recorded.ok && recorded.verified && recorded.requestLineMismatch?.reason).toBe('request_mismatch');
    expect(reason(verify(input, createVerifyPolicy({ requestLine: 'off' })))).toBe('verified:raw');
  });

  it('request line: the signed method and path must be the request\'s, exactly', () => {
    const put = signed({ method: 'PUT', path: '/transfers/A/error', body: { errorInformation: { errorCode: '5100', errorDescription: 'x' } } });
    expect(reason(verify(put))).toBe('verified:raw');
    expect(reason(verify({ ...put, path: '/transfers/B/error' }))).toBe('request_mismatch');
    expect(reason(verify({ ...put, method: 'PATCH' }))).toBe('request_mismatch');
    expect(reason(verify({ ...put, path: '/transfers/A/error?x=1' }))).toBe('request_mismatch');
    expect(reason(verify({ ...put, path: '/Transfers/A/error' }))).toBe('request_mismatch');
    const post = signed();
    expect(reason(verify({ ...post, method: 'PUT', path: '/transfers/1' }))).toBe('request_mismatch');
  });

  it("request line: the SDK's ping URI with an authority (//host:port/ping/{id}) is accepted for /ping only", () => {
    const body = Buffer.from('{"requestId":"1"}');
    const ph = (uri: string) => `{"alg":"RS256","FSPIOP-URI":"${uri}","FSPIOP-HTTP-Method":"PUT","FSPIOP-Source":"${SOURCE}"}`;
    const at = (uri: string, path: string): VerifyInput => ({ method: 'PUT', path, headers: { 'fspiop-source': SOURCE, 'fspiop-uri': uri, 'fspiop-http-method': 'PUT', 'fspiop-signature': handSigned(ph(uri), body) }, body });
    const enforcePing = createVerifyPolicy({ ping: 'enforce' });
    expect(reason(verify(at('//127.0.0.1:4000/ping/1', '/ping/1'), enforcePing))).toBe('verified:raw');
    expect(reason(verify(at('//127.0.0.1:4000/ping/2', '/ping/1'), enforcePing))).toBe('request_mismatch');
    expect(reason(verify(at('//127.0.0.1:4000/transfers/1', '/transfers/1')))).toBe('request_mismatch');
  });

  it('a re-serialisation match returns the bytes that were signed; a raw match returns none', () => {
    const body = Buffer.from('{"b":1,"a":2}');
    const sorted = Buffer.from('{"a":2,"b":1}');
    const sig = handSigned(`{"alg":"RS256","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, sorted);
    const headers = { 'fspiop-source': SOURCE, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST', 'fspiop-signature': sig };
    const viaSorted = verify({ method: 'POST', path: '/quotes', headers, body });
    expect(reason(viaSorted)).toBe('verified:sorted');
    expect(viaSorted.ok && viaSorted.verified && viaSorted.bytes?.toString()).toBe(sorted.toString());
    const raw = verify({ method: 'POST', path: '/quotes', headers, body: sorted });
    expect(raw.ok && raw.verified && raw.bytes).toBeUndefined();
  });

  it('a body over reserialiseLimitBytes that does not verify raw is refused without parsing (too_large_to_reserialise)', () => {
    const body = Buffer.from('{"b":1,"a":2}');
    const sig = handSigned(`{"alg":"RS256","FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, Buffer.from('{"a":2,"b":1}'));
    const input: VerifyInput = { method: 'POST', path: '/quotes', headers: { 'fspiop-source': SOURCE, 'fspiop-uri': '/quotes', 'fspiop-http-method': 'POST', 'fspiop-signature': sig }, body };
    const r = verify(input, createVerifyPolicy({ reserialiseLimitBytes: 8 }));
    expect(reason(r)).toBe('too_large_to_reserialise');
    expect(!r.ok && CATALOGUE[r.code].fspiopCode).toBe('3105');
    expect(reason(verify(input, createVerifyPolicy({ reserialiseLimitBytes: 64 })))).toBe('verified:sorted');
  });

  it('exemptions are decided on the first path segment only', () => {
    const unsigned = (method: string, path: string): VerifyInput => ({ method, path, headers: { 'fspiop-source': SOURCE }, body: Buffer.from('{"a":1}') });
    expect(reason(verify(unsigned('PUT', '/parties/MSISDN/1')))).toBe('exempt:put-parties-unsigned');
    expect(reason(verify(unsigned('PUT', '/x/parties/MSISDN/1')))).toBe('missing_signature');
    expect(reason(verify(unsigned('PUT', '/transfers/parties')))).toBe('missing_signature');
    expect(reason(verify(unsigned('PUT', '/ping/1'), createVerifyPolicy({ ping: 'skip' })))).toBe('exempt:ping');
    expect(reason(verify(unsigned('PUT', '/x/ping/1'), createVerifyPolicy({ ping: 'skip' })))).toBe('missing_signature');
  });

  it('no fspiop-signature from a known source: reject with 3105', () => {
    const r = verify(withHeaders(signed(), { 'fspiop-signature': undefined }));
    expect(reason(r)).toBe('missing_signature');
    expect(!r.ok && CATALOGUE[r.code].fspiopCode).toBe('3105');
  });

  it('GET with no signature: accept (never verified)', () => {
    expect(reason(verify({ method: 'GET', path: '/parties/MSISDN/1', headers: { 'fspiop-source': SOURCE }, body: undefined }))).toBe('exempt:get');
  });

  it('DIFFERS from the SDK: DELETE (no body) is exempt, since DELETE is never signed (trap T11)', () => {
    expect(reason(verify({ method: 'DELETE', path: '/participants/MSISDN/1', headers: { 'fspiop-source': SOURCE }, body: undefined }))).toBe('exempt:delete');
  });
});

describe('verifyRequest: policies', () => {
  const unsignedPutParties: VerifyInput = { method: 'PUT', path: '/parties/MSISDN/1', headers: { 'fspiop-source': SOURCE, 'fspiop-uri': '/parties/MSISDN/1', 'fspiop-http-method': 'PUT' }, body: Buffer.from('{"party":{}}') };

  it('PUT /parties: if-signed (default) lets unsigned through and still verifies signed ones', () => {
    expect(reason(verify(unsignedPutParties))).toBe('exempt:put-parties-unsigned');
    const good = signed({ method: 'PUT', path: '/parties/MSISDN/1/error' });
    expect(reason(verify(good))).toBe('verified:raw');
    expect(reason(verify({ ...good, body: Buffer.from('{"tampered":true}') }))).toBe('signature_mismatch');
  });

  it("PUT /parties: 'always' requires a signature, 'never' skips even a bad one", () => {
    expect(reason(verify(unsignedPutParties, createVerifyPolicy({ putParties: 'always' })))).toBe('missing_signature');
    const bad = { ...signed({ method: 'PUT', path: '/parties/MSISDN/1' }), body: Buffer.from('{"tampered":true}') };
    expect(reason(verify(bad, createVerifyPolicy({ putParties: 'never' })))).toBe('exempt:put-parties');
    expect(reason(verify(signed({ method: 'POST', path: '/parties/MSISDN/1' }), createVerifyPolicy({ putParties: 'never' })))).toBe('verified:raw');
  });

  it('unsigned hub callbacks pass only when allowed, and only for the hub id; signed ones are verified', () => {
    const hubPatch: VerifyInput = { method: 'PATCH', path: '/transfers/1', headers: { 'fspiop-source': 'Hub', 'fspiop-uri': '/transfers/1', 'fspiop-http-method': 'PATCH' }, body: Buffer.from('{"transferState":"COMMITTED"}') };
    expect(reason(verify(hubPatch))).toBe('missing_signature');
    const allow = createVerifyPolicy({ allowUnsignedFromHub: true, hubFspId: 'Hub' });
    expect(reason(verify(hubPatch, allow))).toBe('exempt:hub-unsigned');
    expect(reason(verify(withHeaders(hubPatch, { 'fspiop-source': 'hub' }), allow))).toBe('missing_signature');
    expect(reason(verify(signed({ method: 'PATCH', path: '/transfers/1', source: 'Hub', key: hub }), allow))).toBe('verified:raw');
  });

  it("/ping: 'record' (default) forwards a failure with the reason, 'enforce' rejects, 'skip' does not look", () => {
    const bad = { ...signed({ method: 'PUT', path: '/ping/123' }), body: Buffer.from('{"x":1}') };
    const recorded = verify(bad);
    expect(recorded).toMatchObject({ ok: true, verified: false, exemption: 'ping', failure: { ok: false, reason: 'signature_mismatch', code: 'INVALID_SIGNATURE' } });
    expect(reason(verify(signed({ method: 'PUT', path: '/ping/123' })))).toBe('verified:raw');
    expect(reason(verify(bad, createVerifyPolicy({ ping: 'enforce' })))).toBe('signature_mismatch');
    expect(reason(verify(bad, createVerifyPolicy({ ping: 'skip' })))).toBe('exempt:ping');
  });

  it('disabled: nothing is verified', () => {
    expect(reason(verify({ method: 'POST', path: '/quotes', headers: {}, body: Buffer.from('x') }, createVerifyPolicy({ enabled: false })))).toBe('exempt:disabled');
  });

  it('HEAD and OPTIONS are treated like GET; method case does not matter', () => {
    expect(reason(verify({ method: 'head', path: '/quotes/1', headers: {}, body: undefined }))).toBe('exempt:get');
    expect(reason(verify({ method: 'OPTIONS', path: '/quotes', headers: {}, body: undefined }))).toBe('exempt:get');
    expect(reason(verify({ ...signed(), method: 'post' }))).toBe('verified:raw');
  });

  it('createVerifyPolicy refuses unknown algorithms', () => {
    expect(() => createVerifyPolicy({ algorithms: ['none' as 'RS256'] })).toThrow(TypeError);
  });
});

describe('verifyRequest: keys', () => {
  it('verifies ES256 with P-256 keys', () => {
    expect(verify(signed({ source: 'ecfsp', key: ec }))).toMatchObject({ ok: true, alg: 'ES256', keyFingerprint: ec.signingKey.fingerprint });
  });

  it('tries every key of a source (rotation overlap) and reports which one matched', () => {
    const next = keyPair('RS256', 'next');
    const both = keySetFrom({ [`${SOURCE}.pem`]: rsa.publicPem, [`${SOURCE}.next.pem`]: next.publicPem }).keySet;
    expect(verify(signed({ key: next }), undefined, both)).toMatchObject({ ok: true, keyFingerprint: next.signingKey.fingerprint });
    expect(verify(signed({ key: rsa }), undefined, both)).toMatchObject({ ok: true, keyFingerprint: rsa.signingKey.fingerprint });
  });

  it('an ES256 header against RSA-only keys is no_key_for_alg; a wrong key is signature_mismatch', () => {
    const input = signed({ key: ec });
    expect(reason(verify(input))).toBe('no_key_for_alg');
    const other = keySetFrom({ [`${SOURCE}.pem`]: keyPair('RS256', 'other').publicPem }).keySet;
    expect(reason(verify(signed(), undefined, other))).toBe('signature_mismatch');
  });
});

describe('verifyRequest: reasons and codes', () => {
  const good = signed();
  const cases: Array<[string, VerifyInput, string, string]> = [
    ['no FSPIOP-Source', withHeaders(good, { 'fspiop-source': undefined }), 'missing_source', '3102'],
    ['empty FSPIOP-Source', withHeaders(good, { 'fspiop-source': '' }), 'missing_source', '3102'],
    ['no FSPIOP-URI', withHeaders(good, { 'fspiop-uri': undefined }), 'missing_uri', '3102'],
    ['no FSPIOP-HTTP-Method', withHeaders(good, { 'fspiop-http-method': undefined }), 'missing_method', '3102'],
    ['FSPIOP-Source twice', withHeaders(good, { 'fspiop-source': [SOURCE, 'x'] }), 'duplicate_header', '3105'],
    ['empty body', { ...good, body: Buffer.alloc(0) }, 'empty_body', '3101'],
    ['unknown source', withHeaders(good, { 'fspiop-source': 'stranger' }), 'unknown_source', '3105'],
    ['signature header not JSON', withHeaders(good, { 'fspiop-signature': 'abc' }), 'malformed_signature', '3105'],
    ['protected header not JSON', withHeaders(good, { 'fspiop-signature': JSON.stringify({ signature: 'AAAA', protectedHeader: 'bm9wZQ' }) }), 'malformed_protected_header', '3105'],
    ['no alg', withHeaders(good, { 'fspiop-signature': handSigned(`{"FSPIOP-URI":"/quotes","FSPIOP-HTTP-Method":"POST","FSPIOP-Source":"${SOURCE}"}`, good.body) }), 'alg_not_allowed', '3105'],
    ['tampered body, not JSON', { ...good, body: Buffer.from(good.body.toString().slice(0, -1)) }, 'malformed_json', '3101'],
    ['tampered body', { ...good, body: Buffer.from(good.body.toString().replace('150.25', '950.25')) }, 'signature_mismatch', '3105'],
  ];
  for (const [name, input, expected, fspiopCode] of cases) {
    it(`${name} → ${expected} (${fspiopCode})`, () => {
      const r = verify(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reason).toBe(expected);
      expect(CATALOGUE[r.code].fspiopCode).toBe(fspiopCode);
      expect(r.detail.length).toBeGreaterThan(0);
    });
  }

  it('maps every reason to a catalogue code: 3102 for missing headers, 3101 for bodies, 3105 otherwise', () => {
    expect(new Set(VERIFY_REASONS)).toEqual(new Set(Object.keys(VERIFY_REASON_CODES)));
    for (const r of VERIFY_REASONS) {
      const code = VERIFY_REASON_CODES[r];
      expect(CATALOGUE).toHaveProperty(code);
      const expected = r.startsWith('missing_') && r !== 'missing_signature' ? 'MISSING_HEADER' : r === 'malformed_json' || r === 'empty_body' ? 'MALFORMED_JSON' : 'INVALID_SIGNATURE';
      expect(code).toBe(expected);
    }
  });

  it('details never contain body content', () => {
    const secret = signed({ body: { name: 'Very Secret Person' } });
    const r = verify({ ...secret, body: Buffer.from(secret.body.toString().replace('Very', 'Vary')) });
    expect(!r.ok && r.detail).not.toMatch(/Secret|Person/);
  });
});
