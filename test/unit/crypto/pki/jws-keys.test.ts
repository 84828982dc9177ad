import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ES256_NO_P12, PkiInputError, createJwsKeys, readPkcs12, spkiSha256 } from '../../../../src/crypto/pki/index.js';
import { makeTestPki } from '../../../helpers/pki.js';
import { files, openssl } from './openssl.js';

const require = createRequire(import.meta.url);
interface SdkJws {
  signer: new (config: { signingKey: string; logger: unknown }) => { sign(req: Record<string, unknown>): void };
  validator: new (config: { validationKeys: Record<string, string>; logger: unknown }) => { validate(req: Record<string, unknown>): boolean };
}
/** The real Mojaloop SDK JWS signer and validator (sdk-standard-components 19.19.1). */
const sdkJws = require('mojaloop-sdk-latest/src/lib/jws/index.js') as SdkJws;
const quiet = { child: () => quiet, debug: () => undefined, error: () => undefined, isDebugEnabled: false };

/** Signs a PUT /transfers request with the SDK signer and validates it with the SDK validator. */
function sdkRoundTrip(fspId: string, privateKeyPem: string, publicKeyPem: string): { alg: string; valid: boolean } {
  const req = {
    method: 'PUT',
    uri: 'https://hub.example/transfers/b51ec534-ee48-4575-b6a9-ead2955b8069',
    headers: { 'fspiop-source': fspId, 'fspiop-destination': 'payeefsp', date: 'Tue, 23 May 2017 21:12:31 GMT' },
    body: { transferState: 'COMMITTED', completedTimestamp: '2017-05-23T21:12:31.000Z' },
  };
  new sdkJws.signer({ signingKey: privateKeyPem, logger: quiet }).sign(req);
  const signature = JSON.parse(req.headers['fspiop-signature' as keyof typeof req.headers] as string) as { protectedHeader: string };
  const alg = (JSON.parse(Buffer.from(signature.protectedHeader, 'base64url').toString('utf8')) as { alg: string }).alg;
  const valid = new sdkJws.validator({ validationKeys: { [fspId]: publicKeyPem }, logger: quiet }).validate({
    headers: req.headers,
    body: JSON.parse(req.body as unknown as string) as unknown,
  });
  return { alg, valid };
}

describe('createJwsKeys', () => {
  it('RS256: PKCS#1 key, SPKI public key, self-signed certificate CN=fspId, all one key', async () => {
    const { jws } = await makeTestPki();
    const k = jws.rsa;
    expect(k.alg).toBe('RS256');
    expect(k.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(k.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const cert = new X509Certificate(k.certPem);
    expect(cert.subject).toBe('CN=payerfsp');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(spkiSha256(cert.publicKey)).toBe(k.spkiSha256);
    expect(spkiSha256(createPublicKey(k.publicKeyPem))).toBe(k.spkiSha256);
    expect(spkiSha256(createPrivateKey(k.privateKeyPem))).toBe(k.spkiSha256);
    expect(createPrivateKey(k.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('ES256: the private key is SEC1 so the Mojaloop SDK signs ES256, and no keystore, saying why', async () => {
    const { jws } = await makeTestPki();
    expect(jws.ec.privateKeyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(jws.ec.p12).toBeUndefined();
    expect(jws.ec.p12Note).toBe(ES256_NO_P12);
    expect(createPublicKey(jws.ec.publicKeyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // ES256 with the JOSE r||s encoding works with the pair.
    const sig = sign('sha256', Buffer.from('x'), { key: jws.ec.privateKeyPem, dsaEncoding: 'ieee-p1363' });
    expect(sig).toHaveLength(64);
    expect(verify('sha256', Buffer.from('x'), { key: jws.ec.publicKeyPem, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  it('interoperates with the Mojaloop SDK signer and validator, RS256 and ES256', async () => {
    const { jws } = await makeTestPki();
    expect(sdkRoundTrip('payerfsp', jws.rsa.privateKeyPem, jws.rsa.publicKeyPem)).toEqual({ alg: 'RS256', valid: true });
    expect(sdkRoundTrip('payerfsp', jws.ec.privateKeyPem, jws.ec.publicKeyPem)).toEqual({ alg: 'ES256', valid: true });
    // The peer may hold the certificate instead of the bare key: the validator accepts it too.
    expect(sdkRoundTrip('payerfsp', jws.rsa.privateKeyPem, jws.rsa.certPem).valid).toBe(true);
    // And a key from someone else does not validate.
    expect(() => sdkRoundTrip('payerfsp', jws.rsa.privateKeyPem, jws.hub.publicKeyPem)).toThrow(/invalid signature/);
  });

  it('RS256 with a passphrase: a PKCS#12 that OpenSSL 3 opens without -legacy', async () => {
    const k = await createJwsKeys({ fspId: 'payeefsp', passphrase: 'correct horse', o: 'Payee Bank', c: 'KE', days: 30 });
    expect(k.p12).toBeInstanceOf(Buffer);
    const f = files({ 'k.p12': k.p12 as Buffer, pass: 'correct horse\n', wrong: 'nope\n' });
    const info = openssl(['pkcs12', '-in', f['k.p12']!, '-passin', `file:${f.pass}`, '-info', '-noout']);
    expect(info.code).toBe(0);
    expect(info.stderr).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    const certs = openssl(['pkcs12', '-in', f['k.p12']!, '-passin', `file:${f.pass}`, '-nokeys', '-clcerts']);
    expect(certs.stdout).toMatch(/subject=C = KE, O = Payee Bank, CN = payeefsp/);
    expect(certs.stdout).toMatch(/friendlyName: payeefsp/);
    const key = openssl(['pkcs12', '-in', f['k.p12']!, '-passin', `file:${f.pass}`, '-nocerts', '-nodes']);
    expect(spkiSha256(createPrivateKey(key.stdout.slice(key.stdout.indexOf('-----BEGIN')).trim()))).toBe(k.spkiSha256);
    expect(openssl(['pkcs12', '-in', f['k.p12']!, '-passin', `file:${f.wrong}`, '-info', '-noout']).code).not.toBe(0);
    // Our reader opens it too.
    const back = readPkcs12(k.p12 as Buffer, 'k.p12', 'correct horse');
    expect(back.keys.map(spkiSha256)).toEqual([k.spkiSha256]);
    expect(back.certificates.map((c) => c.subjectText)).toEqual(['C=KE, O=Payee Bank, CN=payeefsp']);
    expect(() => readPkcs12(k.p12 as Buffer, 'k.p12', 'wrong')).toThrow(/wrong passphrase/);
    expect(() => readPkcs12(k.p12 as Buffer, 'k.p12')).toThrow(/--passphrase-file/);
  });

  it('refuses FSP ids that cannot be a file name or header value, and bad options', async () => {
    for (const bad of ['', '../x', 'a/b', 'with space', 'x'.repeat(33), '.hidden']) {
      await expect(createJwsKeys({ fspId: bad })).rejects.toThrow(PkiInputError);
    }
    await expect(createJwsKeys({ fspId: 'x', alg: 'ES256', keySize: 384 })).rejects.toThrow(/always P-256/);
    await expect(createJwsKeys({ fspId: 'x', alg: 'HS256' as 'RS256' })).rejects.toThrow(/RS256 or ES256/);
  });
});
