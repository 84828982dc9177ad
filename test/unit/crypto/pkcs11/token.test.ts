/**
 * The PKCS#11 signing path against a real SoftHSM2 token (test/helpers/softhsm.ts): keys generated
 * in the token never leave it, RS256 and ES256 signatures made there verify with the public half,
 * a wrong PIN, a wrong token or key name are told apart in plain words, and a token that goes
 * away is failed fast, probed in the background and used again once it is back.
 */
import { createRequire } from 'node:module';
import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllTokens, moduleEpoch, openTokenKey, tokenDown, tokenSign, TokenError, type Pkcs11KeyRef } from '../../../../src/crypto/pkcs11/token.js';
import { createSoftToken, type SoftToken } from '../../../helpers/softhsm.js';
import { waitFor } from '../../../helpers/outbound-sidecar.js';

let token: SoftToken;
beforeAll(() => {
  token = createSoftToken();
  token.generate('RS256', 'rsa-key');
  token.generate('ES256', 'ec-key');
});
afterAll(() => closeAllTokens());

function ref(over: Partial<Pkcs11KeyRef> = {}): Pkcs11KeyRef {
  return { module: token.module, tokenLabel: token.label, slot: undefined, serial: undefined, keyLabel: 'rsa-key', keyId: undefined, pin: token.pin, epoch: moduleEpoch(token.module), ...over };
}

function thrown(fn: () => unknown): TokenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TokenError);
    return err as TokenError;
  }
  throw new Error('expected a TokenError');
}

describe('keys generated in the token', () => {
  it('are sensitive and not extractable: the private value cannot be read out', () => {
    const info = openTokenKey(ref());
    expect(info).toMatchObject({ alg: 'RS256', sensitive: true, extractable: false });
    // Ask the token directly for the secret parts, as an attacker holding the PIN would.
    const pkcs11 = createRequire(import.meta.url)('pkcs11js') as Record<string, any>;
    const lib = new pkcs11.PKCS11();
    lib.load(token.module);
    // The module is initialised already by openTokenKey (shared per process).
    const slot = (lib.C_GetSlotList(true) as Buffer[]).find((s) => lib.C_GetTokenInfo(s).label.trim() === token.label);
    const session = lib.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
    try {
      lib.C_Login(session, pkcs11.CKU_USER, token.pin);
    } catch (err) {
      expect((err as Error).message).toBe('CKR_USER_ALREADY_LOGGED_IN');
    }
    for (const [label, attrs] of [['rsa-key', [pkcs11.CKA_PRIVATE_EXPONENT, pkcs11.CKA_PRIME_1]], ['ec-key', [pkcs11.CKA_VALUE]]] as const) {
      lib.C_FindObjectsInit(session, [{ type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY }, { type: pkcs11.CKA_LABEL, value: label }]);
      const [handle] = lib.C_FindObjects(session, 2) as Buffer[];
      lib.C_FindObjectsFinal(session);
      for (const type of attrs) expect(() => lib.C_GetAttributeValue(session, handle, [{ type }])).toThrow('CKR_ATTRIBUTE_SENSITIVE');
    }
    lib.C_CloseSession(session);
  });

  it('RS256: CKM_SHA256_RSA_PKCS over the input, verifying with the public key', () => {
    const info = openTokenKey(ref());
    expect(info.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ');
    const sig = tokenSign(ref(), 'RS256', input);
    expect(sig.length).toBe(256);
    expect(verify('sha256', input, info.publicKey, sig)).toBe(true);
  });

  it('ES256: CKM_ECDSA over the SHA-256 digest gives the 64-byte JOSE r||s', () => {
    const r = ref({ keyLabel: 'ec-key' });
    const info = openTokenKey(r);
    expect(info.alg).toBe('ES256');
    const input = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ');
    for (let i = 0; i < 20; i++) {
      const sig = tokenSign(r, 'ES256', input);
      expect(sig.length).toBe(64);
      expect(verify('sha256', input, { key: info.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    }
  });

  it('is found by CKA_ID as well as by label', () => {
    const info = openTokenKey(ref({ keyLabel: undefined, keyId: Buffer.from('ec-key').toString('hex') }));
    expect(info.alg).toBe('ES256');
  });
});

describe('clear messages', () => {
  it('a wrong PIN: CKR_PIN_INCORRECT, said plainly, and never tried again on its own', () => {
    // Login state is per application: start from a process that has not logged in yet.
    closeAllTokens();
    const wrong = ref({ pin: 'not-the-pin' });
    const e = thrown(() => openTokenKey(wrong));
    expect(e.kind).toBe('pin');
    expect(e.ckr).toBe('CKR_PIN_INCORRECT');
    expect(e.message).toContain('the PIN was refused; it is not retried (wrong attempts lock the token)');
    // Signing with that PIN gets the same refusal back without another login attempt.
    expect(thrown(() => tokenSign(wrong, 'RS256', Buffer.from('x')))).toBe(e);
    expect(thrown(() => tokenSign(wrong, 'RS256', Buffer.from('x')))).toBe(e);
    // The right PIN (a reload with the PIN file fixed) opens it.
    expect(openTokenKey(ref()).alg).toBe('RS256');
  });

  it('a token or key that is not there is named, with the tokens that are', () => {
    const noToken = thrown(() => openTokenKey(ref({ tokenLabel: 'no-such-token' })));
    expect(noToken.message).toMatch(new RegExp(`token 'no-such-token' of module '${token.module}' not found \\(tokens present: '${token.label}' \\(slot \\d+, serial [0-9a-f]+\\)\\)`));
    const noKey = thrown(() => openTokenKey(ref({ keyLabel: 'no-such-key' })));
    expect(noKey.kind).toBe('key');
    expect(noKey.message).toContain("no private key with label 'no-such-key'");
  });

  it('the message never carries the PIN', () => {
    const e = thrown(() => openTokenKey(ref({ tokenLabel: 'absent', pin: 'secret-pin-271' })));
    expect(e.message).not.toContain('secret-pin-271');
  });
});

describe('a token that goes away', () => {
  it('fails at once while gone, is probed in the background, and signs again once back', async () => {
    const r = ref({ keyLabel: 'ec-key' });
    const info = openTokenKey(r);
    const input = Buffer.from('a.b');
    expect(tokenSign(r, 'ES256', input).length).toBe(64);
    token.remove();
    const first = thrown(() => tokenSign(r, 'ES256', input));
    expect(first.message).toMatch(/CKR_/);
    expect(tokenDown(r)).toBeInstanceOf(TokenError);
    // While down, requests do not reach the token: the same error comes back at once.
    const down = tokenDown(r);
    expect(down?.kind).toBe('token');
    expect(thrown(() => tokenSign(r, 'ES256', input))).toBe(down);
    token.restore();
    await waitFor(() => tokenDown(r) === undefined, 'the background probe to find the token again', 30_000);
    const sig = tokenSign(r, 'ES256', input);
    expect(verify('sha256', input, { key: info.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });
});
