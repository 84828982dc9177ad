/** RFC 7512 URIs for jws.signingKeyPkcs11: what is accepted, what is refused and why. */
import { describe, expect, it } from 'vitest';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../../src/config/pkcs11-uri.js';
import { configSchema } from '../../../src/config/schema.js';

const Q = '?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin';

describe('parsePkcs11Uri', () => {
  it('reads token, key label and id, module and PIN file, percent-decoding values', () => {
    expect(parsePkcs11Uri(`pkcs11:token=My%20HSM;object=dfsp%2Fjws;id=%01%ab;type=private${Q}`)).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'My HSM',
      slot: undefined,
      serial: undefined,
      keyLabel: 'dfsp/jws',
      keyId: '01ab',
      pinFile: '/run/secrets/pin',
    });
  });

  it('takes what p11tool prints (model, manufacturer, serial) and a slot id', () => {
    const u = parsePkcs11Uri(`pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=4f2a;slot-id=7;id=%02${Q}`);
    expect(u).toMatchObject({ slot: 7, serial: '4f2a', tokenLabel: undefined, keyId: '02' });
  });

  it.each([
    ['pkcs11:object=k' + Q, /token=LABEL .* or slot-id=N/],
    ['pkcs11:token=t' + Q, /object=LABEL and\/or id/],
    ['pkcs11:token=t;object=k;type=public' + Q, /type=private/],
    ['pkcs11:token=t;object=k?pin-source=file:/p', /module-path=.* is required/],
    ['pkcs11:token=t;object=k?module-path=/m.so', /pin-source=file:.* is required/],
    ['pkcs11:token=t;object=k?module-path=/m.so&pin-value=1234', /pin-value is refused/],
    ['pkcs11:token=t;object=k;pin=1' + Q, /unknown path attribute 'pin'/],
    ['pkcs11:token=t;object=%zz' + Q, /bad percent-encoding/],
    ['token=t;object=k', /starts with 'pkcs11:'/],
  ])('refuses %s', (text, message) => {
    expect(() => parsePkcs11Uri(text)).toThrow(message);
  });

  it('formats what it parses', () => {
    const text = formatPkcs11Uri({ module: '/opt/hsm/lib pkcs11.so', tokenLabel: 'dfsp jws', keyLabel: 'k;1', keyId: '0aff', pinFile: '/run/pin' });
    expect(parsePkcs11Uri(text)).toEqual({ module: '/opt/hsm/lib pkcs11.so', tokenLabel: 'dfsp jws', slot: undefined, serial: undefined, keyLabel: 'k;1', keyId: '0aff', pinFile: '/run/pin' });
  });
});

describe('jws.signingKeyPkcs11 in the schema', () => {
  const base = { dfspId: 'dfspa', inbound: { enabled: false }, outbound: { hub: { default: 'https://hub.example' }, tls: { caFiles: ['/ca.pem'] } } };
  it('stands in for signingKeyFile, own key and identities, each error at its path', () => {
    const good = `pkcs11:token=t;object=k${Q}`;
    expect(configSchema.safeParse({ ...base, jws: { signingKeyPkcs11: good, identities: [{ fspId: 'fx', signingKeyPkcs11: good }] } }).success).toBe(true);
    const bad = configSchema.safeParse({ ...base, jws: { signingKeyFile: '/k.pem', signingKeyPkcs11: good, identities: [{ fspId: 'fx' }, { fspId: 'fy', signingKeyPkcs11: 'pkcs11:token=t' }] } });
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^jws\.identities\.1\.signingKeyPkcs11: not a usable PKCS#11 URI: /),
      ]),
    );
    const cross = configSchema.safeParse({ ...base, jws: { signingKeyFile: '/k.pem', signingKeyPkcs11: good, identities: [{ fspId: 'fx' }] } });
    expect(cross.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(
      expect.arrayContaining(['jws.signingKeyPkcs11: set signingKeyFile or signingKeyPkcs11, not both', 'jws.identities.0.signingKeyFile: required (or signingKeyPkcs11): the key this identity signs with']),
    );
  });
});
