/**
 * Signatures made inside a PKCS#11 token (a real SoftHSM2 token, test/helpers/softhsm.ts) are the
 * same JWS as with a key file: both Mojaloop SDK validators (19.18.8 and 19.19.x) and our own
 * verifier accept every resource, method and destination case, RS256 and ES256.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifyPolicy, signRequest, spkiFingerprint, verifyRequest, type TokenSigningKey } from '../../src/crypto/jws/index.js';
import { closeAllTokens, moduleEpoch, openTokenKey } from '../../src/crypto/pkcs11/token.js';
import { createSoftToken } from '../helpers/softhsm.js';
import { bulkQuoteBody, DESTINATION, keySetFrom, quoteBody, RESOURCE_PATHS, SOURCE } from '../unit/crypto/jws/fixtures.js';

type Validator = new (config: { validationKeys: Record<string, string>; logger: unknown }) => { validate(request: { headers: Record<string, string>; body: unknown }): true };
const require = createRequire(import.meta.url);
const SDKS: ReadonlyArray<{ name: string; validator: Validator }> = [
  { name: 'sdk 19.18.8', validator: (require('mojaloop-sdk-19-18-8/src/lib/jws/index.js') as { validator: Validator }).validator },
  { name: 'sdk latest', validator: (require('mojaloop-sdk-latest/src/lib/jws/index.js') as { validator: Validator }).validator },
];
const silent = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, isDebugEnabled: false };

const keys: Partial<Record<'RS256' | 'ES256', { key: TokenSigningKey; publicPem: string }>> = {};
beforeAll(() => {
  const token = createSoftToken();
  for (const alg of ['RS256', 'ES256'] as const) {
    token.generate(alg, `interop-${alg}`);
    const ref = { module: token.module, tokenLabel: token.label, slot: undefined, serial: undefined, keyLabel: `interop-${alg}`, keyId: undefined, pin: token.pin, epoch: moduleEpoch(token.module) };
    const info = openTokenKey(ref);
    expect(info.alg).toBe(alg);
    keys[alg] = { key: { kind: 'pkcs11', ref, alg, publicKey: info.publicKey, fingerprint: spkiFingerprint(info.publicKey) }, publicPem: info.publicKey.export({ type: 'spki', format: 'pem' }) as string };
  }
});
afterAll(() => closeAllTokens());

for (const alg of ['RS256', 'ES256'] as const) {
  describe(`${alg} key in the token`, () => {
    it('every resource, method and destination case verifies with both SDK validators and ours', () => {
      const { key, publicPem } = keys[alg]!;
      const ours = keySetFrom({ [`${SOURCE}.pem`]: publicPem }).keySet;
      const failures: string[] = [];
      let checked = 0;
      for (const [resource, paths] of Object.entries(RESOURCE_PATHS)) {
        for (const method of ['POST', 'PUT', 'PATCH'] as const) {
          for (const withDestination of [true, false]) {
            const body = resource.startsWith('bulk') ? bulkQuoteBody(3) : quoteBody();
            const out = signRequest({ method, path: paths[method], headers: {}, destination: withDestination ? DESTINATION : undefined, body: Buffer.from(JSON.stringify(body)), source: SOURCE, key });
            expect(out.signed).toBe(true);
            const headers = { ...out.headers, 'content-type': `application/vnd.interoperability.${resource}+json;version=1.1` };
            const label = `${method} ${paths[method]}${withDestination ? '' : ' (no destination)'}`;
            for (const sdk of SDKS) {
              try {
                new sdk.validator({ validationKeys: { [SOURCE]: publicPem }, logger: silent }).validate({ headers, body: JSON.parse(out.body!.toString('utf8')) });
              } catch (err) {
                failures.push(`${sdk.name} ${label}: ${(err as Error).message.slice(0, 100)}`);
              }
            }
            const r = verifyRequest({ method, path: paths[method], headers, body: out.body! }, ours, createVerifyPolicy({ putParties: 'always' }));
            if (!r.ok || !r.verified || r.alg !== alg || r.matched !== 'raw') failures.push(`ours ${label}: ${JSON.stringify(r).slice(0, 120)}`);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    });
  });
}
