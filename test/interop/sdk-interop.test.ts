/**
 * Interop with the real Mojaloop SDK (@mojaloop/sdk-standard-components), two releases side by
 * side: 19.18.8 (insertion-order payloads, what sdk-scheme-adapter 24.x ships) and 19.19.1
 * (sorted-key payloads, what hub services pin). Both directions, for every FSPIOP resource,
 * POST/PUT/PATCH, with and without FSPIOP-Destination, RSA-2048 (RS256) and P-256 (ES256).
 *
 * The SDK is used the way its own layers use it: the signer gets axios-style request options with
 * an object body (BaseRequests), the validator gets lower-case headers and the *parsed* body
 * (the scheme adapter's inbound middleware). The bytes on the wire are what each version sends:
 * 19.19.1 sends the string it signed; 19.18.8 sends fast-safe-stringify(body), i.e. JSON.stringify.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createVerifyPolicy, loadSigningKey, signRequest, verifyRequest, type PeerKeySet } from '../../src/crypto/jws/index.js';
import { bulkQuoteBody, DESTINATION, keyPair, keySetFrom, quoteBody, RESOURCE_PATHS, SOURCE, type TestKeyPair } from '../unit/crypto/jws/fixtures.js';
import { SPEC_PUBLIC_PEM, V1, V2, V2_V3_PROTECTED_HEADER, V2_V3_REQUEST, V3 } from '../unit/crypto/jws/vectors.js';

interface SdkRequestOptions {
  method: string;
  uri: string;
  headers: Record<string, string>;
  body: unknown;
}
interface SdkJws {
  signer: new (config: { signingKey: string; logger: unknown }) => { sign(options: SdkRequestOptions): void };
  validator: new (config: { validationKeys: Record<string, string>; logger: unknown }) => { validate(request: { headers: Record<string, string>; body: unknown }): true };
}

const require = createRequire(import.meta.url);
const SDKS: ReadonlyArray<{ name: string; jws: SdkJws; version: string }> = [
  { name: 'sdk 19.18.8', jws: require('mojaloop-sdk-19-18-8/src/lib/jws/index.js') as SdkJws, version: (require('mojaloop-sdk-19-18-8/package.json') as { version: string }).version },
  { name: 'sdk latest', jws: require('mojaloop-sdk-latest/src/lib/jws/index.js') as SdkJws, version: (require('mojaloop-sdk-latest/package.json') as { version: string }).version },
];
const silent = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, isDebugEnabled: false };

const KEYS: Record<'RS256' | 'ES256', TestKeyPair> = { RS256: keyPair('RS256', 'interop'), ES256: keyPair('ES256', 'interop') };
const METHODS = ['POST', 'PUT', 'PATCH'] as const;
const DATE = 'Sat, 28 Nov 2026 10:00:00 GMT';

function bodyFor(resource: string): Record<string, unknown> {
  return resource.startsWith('bulk') ? bulkQuoteBody(3) : quoteBody();
}

function combos(): Array<{ resource: string; method: (typeof METHODS)[number]; path: string; withDestination: boolean }> {
  const out = [];
  for (const [resource, paths] of Object.entries(RESOURCE_PATHS)) {
    for (const method of METHODS) for (const withDestination of [true, false]) out.push({ resource, method, path: paths[method], withDestination });
  }
  return out;
}

const label = (c: { method: string; path: string; withDestination: boolean }): string => `${c.method} ${c.path}${c.withDestination ? '' : ' (no destination)'}`;

describe('SDK versions under test', () => {
  it('are the two releases the brief names', () => {
    expect(SDKS.map((s) => s.version)).toEqual(['19.18.8', expect.stringMatching(/^19\.19\.\d+$/)]);
  });
});

for (const sdk of SDKS) {
  for (const alg of ['RS256', 'ES256'] as const) {
    const kp = KEYS[alg];
    describe(`${sdk.name} (${sdk.version}), ${alg}`, () => {
      it('our signer → their JwsValidator accepts every resource, method and destination case', () => {
        const validator = new sdk.jws.validator({ validationKeys: { [SOURCE]: kp.publicPem }, logger: silent });
        const failures: string[] = [];
        for (const c of combos()) {
          const out = signRequest({
            method: c.method,
            path: c.path,
            headers: {},
            destination: c.withDestination ? DESTINATION : undefined,
            body: Buffer.from(JSON.stringify(bodyFor(c.resource))),
            source: SOURCE,
            key: kp.signingKey,
          });
          expect(out.signed).toBe(true);
          const headers = { ...out.headers, 'content-type': `application/vnd.interoperability.${c.resource}+json;version=1.1`, accept: `application/vnd.interoperability.${c.resource}+json;version=1.1` };
          try {
            validator.validate({ headers, body: JSON.parse(out.body!.toString('utf8')) });
          } catch (err) {
            failures.push(`${label(c)}: ${(err as Error).message.slice(0, 120)}`);
          }
        }
        expect(failures).toEqual([]);
      });

      it('their JwsSigner → our verifier accepts every resource, method and destination case (raw bytes)', () => {
        const signer = new sdk.jws.signer({ signingKey: kp.privatePem, logger: silent });
        const keys: PeerKeySet = keySetFrom({ [`${SOURCE}.pem`]: kp.publicPem }).keySet;
        const failures: string[] = [];
        for (const c of combos()) {
          const options: SdkRequestOptions = {
            method: c.method,
            // A gateway base path in front, as in real hub endpoint configs: the SDK drops it from FSPIOP-URI.
            uri: `https://hub.example.com:443/fspiop${c.path}`,
            headers: { date: DATE, 'fspiop-source': SOURCE, ...(c.withDestination ? { 'fspiop-destination': DESTINATION } : {}) },
            body: bodyFor(c.resource),
          };
          signer.sign(options);
          const wire = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
          const r = verifyRequest({ method: c.method, path: c.path, headers: options.headers, body: Buffer.from(wire) }, keys, createVerifyPolicy({ putParties: 'always' }));
          if (!r.ok || !r.verified || r.matched !== 'raw' || r.alg !== alg) failures.push(`${label(c)}: ${JSON.stringify(r).slice(0, 160)}`);
        }
        expect(failures).toEqual([]);
      });
    });
  }
}

describe('mixed-version traffic (traps T1, T2)', () => {
  const kp = KEYS.RS256;
  const keys = keySetFrom({ [`${SOURCE}.pem`]: kp.publicPem }).keySet;
  const [old, latest] = SDKS as [(typeof SDKS)[0], (typeof SDKS)[0]];

  it('an SDK 19.18.8 message with unsorted keys: SDK 19.19.x rejects it, we accept it', () => {
    const body = { transferId: '1', payerFsp: SOURCE, payeeFsp: DESTINATION, amount: { currency: 'EUR', amount: '10' } };
    const options: SdkRequestOptions = { method: 'POST', uri: 'https://hub/transfers', headers: { date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION }, body };
    new old.jws.signer({ signingKey: kp.privatePem, logger: silent }).sign(options);
    // sign() replaced the body with the string it will send (fast-safe-stringify = JSON.stringify here).
    expect(options.body).toBe(JSON.stringify(body));
    expect(() => new latest.jws.validator({ validationKeys: { [SOURCE]: kp.publicPem }, logger: silent }).validate({ headers: options.headers, body })).toThrow(/invalid signature/);
    expect(new old.jws.validator({ validationKeys: { [SOURCE]: kp.publicPem }, logger: silent }).validate({ headers: options.headers, body })).toBe(true);
    expect(verifyRequest({ method: 'POST', path: '/transfers', headers: options.headers, body: Buffer.from(options.body as string) }, keys)).toMatchObject({ ok: true, matched: 'raw' });
  });

  const validate = (sdk: (typeof SDKS)[0], headers: Record<string, string>, body: unknown): boolean => {
    try {
      return new sdk.jws.validator({ validationKeys: { [SOURCE]: kp.publicPem }, logger: silent }).validate({ headers, body });
    } catch {
      return false;
    }
  };

  it('an SDK 19.19.x message re-serialised in insertion order by a hop: 19.18.8 rejects, 19.19.x and we accept (sorted)', () => {
    const object = { transferState: 'COMMITTED', fulfilment: 'WLctttbu2HvTsa1XWvUoGRcQozHsqeu9Ahl2JW9Bsu8', completedTimestamp: '2026-11-28T10:00:00.000Z' };
    const options: SdkRequestOptions = { method: 'PUT', uri: 'https://hub/transfers/1', headers: { date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION }, body: object };
    new latest.jws.signer({ signingKey: kp.privatePem, logger: silent }).sign(options);
    const relayed = JSON.stringify(object); // insertion order, not what was signed
    expect(validate(old, options.headers, JSON.parse(relayed))).toBe(false);
    expect(validate(latest, options.headers, JSON.parse(relayed))).toBe(true);
    expect(verifyRequest({ method: 'PUT', path: '/transfers/1', headers: options.headers, body: Buffer.from(relayed) }, keys)).toMatchObject({ ok: true, matched: 'sorted' });
  });

  it('an SDK 19.18.8 message pretty-printed by a hop: 19.18.8 accepts, 19.19.x rejects, we accept (insertion)', () => {
    const object = { transferState: 'COMMITTED', completedTimestamp: '2026-11-28T10:00:00.000Z' };
    const options: SdkRequestOptions = { method: 'PUT', uri: 'https://hub/transfers/1', headers: { date: DATE, 'fspiop-source': SOURCE, 'fspiop-destination': DESTINATION }, body: object };
    new old.jws.signer({ signingKey: kp.privatePem, logger: silent }).sign(options);
    const relayed = JSON.stringify(object, null, 2);
    expect(validate(old, options.headers, JSON.parse(relayed))).toBe(true);
    expect(validate(latest, options.headers, JSON.parse(relayed))).toBe(false);
    expect(verifyRequest({ method: 'PUT', path: '/transfers/1', headers: options.headers, body: Buffer.from(relayed) }, keys)).toMatchObject({ ok: true, matched: 'insertion' });
  });

  it('our output is accepted by both validators even where their own signers disagree', () => {
    const out = signRequest({ method: 'PUT', path: '/transfers/1', headers: { date: DATE }, destination: DESTINATION, body: Buffer.from('{"z":1,"a":{"y":[{"b":2,"a":1}]},"m":"é"}'), source: SOURCE, key: kp.signingKey });
    for (const sdk of SDKS) {
      expect(new sdk.jws.validator({ validationKeys: { [SOURCE]: kp.publicPem }, logger: silent }).validate({ headers: out.headers, body: JSON.parse(out.body!.toString('utf8')) })).toBe(true);
    }
  });

  it('a PKCS#8 EC signing key: the SDK labels its signature RS256 and no validator accepts it; ours is ES256 and both do', () => {
    const ec = KEYS.ES256;
    const options: SdkRequestOptions = { method: 'POST', uri: 'https://hub/quotes', headers: { date: DATE, 'fspiop-source': SOURCE }, body: { a: 1 } };
    new latest.jws.signer({ signingKey: ec.pkcs8Pem, logger: silent }).sign(options);
    const sdkHeader = JSON.parse(Buffer.from((JSON.parse(options.headers['fspiop-signature']!) as { protectedHeader: string }).protectedHeader, 'base64url').toString()) as { alg: string };
    expect(sdkHeader.alg).toBe('RS256');
    for (const sdk of SDKS) {
      expect(() => new sdk.jws.validator({ validationKeys: { [SOURCE]: ec.publicPem }, logger: silent }).validate({ headers: options.headers, body: { a: 1 } })).toThrow();
    }
    const out = signRequest({ method: 'POST', path: '/quotes', headers: { date: DATE }, body: Buffer.from('{"a":1}'), source: SOURCE, key: loadSigningKey(ec.pkcs8Pem) });
    for (const sdk of SDKS) {
      expect(new sdk.jws.validator({ validationKeys: { [SOURCE]: ec.publicPem }, logger: silent }).validate({ headers: out.headers, body: { a: 1 } })).toBe(true);
    }
  });
});

describe('reference vectors through the SDK validators and ours (fspiop-jws.md §10)', () => {
  const specKeys = keySetFrom({ '1234.pem': SPEC_PUBLIC_PEM, 'payeefsp.pem': SPEC_PUBLIC_PEM }).keySet;
  const outcome = (sdk: (typeof SDKS)[0], source: string, headers: Record<string, string>, body: string): boolean => {
    try {
      return new sdk.jws.validator({ validationKeys: { [source]: SPEC_PUBLIC_PEM }, logger: silent }).validate({ headers, body: JSON.parse(body) as unknown });
    } catch {
      return false;
    }
  };
  const v1 = { headers: { ...V1.headers, 'fspiop-signature': JSON.stringify({ signature: V1.signature, protectedHeader: V1.protectedHeader }) }, body: Buffer.from(V1.payload, 'base64url').toString('utf8') };
  const v23 = (signature: string) => ({
    'fspiop-source': V2_V3_REQUEST.source,
    'fspiop-destination': V2_V3_REQUEST.destination,
    date: V2_V3_REQUEST.date,
    'fspiop-uri': V2_V3_REQUEST.path,
    'fspiop-http-method': 'PUT',
    'fspiop-signature': JSON.stringify({ signature, protectedHeader: V2_V3_PROTECTED_HEADER }),
  });
  const cases = [
    { name: 'V1 (spec example, unsorted)', source: '1234', method: 'POST', path: '/quotes', headers: v1.headers, body: v1.body, sdk: [true, false] },
    { name: 'V2 (SDK 19.19.1, sorted)', source: 'payeefsp', method: 'PUT', path: V2_V3_REQUEST.path, headers: v23(V2.signature), body: V2.body, sdk: [true, true] },
    { name: 'V3 (SDK 19.18.8, insertion order)', source: 'payeefsp', method: 'PUT', path: V2_V3_REQUEST.path, headers: v23(V3.signature), body: V3.body, sdk: [true, false] },
  ];
  for (const c of cases) {
    it(`${c.name}: 19.18.8 ${c.sdk[0] ? 'accepts' : 'rejects'}, 19.19.x ${c.sdk[1] ? 'accepts' : 'rejects'}, we accept on the raw bytes`, () => {
      expect(SDKS.map((sdk) => outcome(sdk, c.source, c.headers, c.body))).toEqual(c.sdk);
      expect(verifyRequest({ method: c.method, path: c.path, headers: c.headers, body: Buffer.from(c.body) }, specKeys)).toMatchObject({ ok: true, matched: 'raw' });
    });
  }

  it("the spec's two printed V1 signatures fail everywhere", () => {
    for (const signature of V1.corruptSignatures) {
      const headers = { ...V1.headers, 'fspiop-signature': JSON.stringify({ signature, protectedHeader: V1.protectedHeader }) };
      expect(SDKS.map((sdk) => outcome(sdk, '1234', headers, v1.body))).toEqual([false, false]);
      expect(verifyRequest({ method: 'POST', path: '/quotes', headers, body: Buffer.from(v1.body) }, specKeys).ok).toBe(false);
    }
  });
});
