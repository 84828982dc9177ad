/**
 * compileOutbound through compileSnapshot: what it builds from good files, and that every problem
 * is reported with its config key (all of them, not just the first).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../../../src/runtime/compile.js';
import { configSchema } from '../../../src/config/schema.js';
import { outboundPki, rotationPki, type OutboundPki } from '../../helpers/outbound-pki.js';

let pki: OutboundPki;
let dir: string;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  pki = await outboundPki();
  dir = mkdtempSync(join(tmpdir(), 'outbound-compile-'));
});

function raw(over: (r: any) => void = () => {}) {
  const r: any = {
    dfspId: 'dfspa',
    admin: { enabled: false },
    inbound: { enabled: false },
    jws: { signingKeyFile: file('jws.pem', pki.jwsRsa.privatePem), identities: [{ fspId: 'dfspb', signingKeyFile: file('jws-ec.pem', pki.jwsEc.privatePem) }] },
    outbound: {
      tls: { caFiles: [file('ca.pem', pki.hubCa.certPem)], certFile: file('client.pem', pki.client.chainPem), keyFile: file('client.key', pki.client.keyPem) },
      hub: { default: 'https://hub.example:8443/base', routes: { quotes: 'https://quotes.example' } },
      oauth: { tokenEndpoint: 'https://iam.example/token', clientKey: 'ck', clientSecret: 'cs', scope: 'a b' },
    },
  };
  over(r);
  return configSchema.parse(r);
}

describe('compileOutbound', () => {
  it('builds identities with their keys and algorithms, the TLS context, routes and the token call', async () => {
    const c = await compileSnapshot(raw());
    if (!c.ok) throw new Error(JSON.stringify(c.issues));
    const o = c.snapshot.outbound!;
    expect(o.identities.get('dfspa')?.key?.alg).toBe('RS256');
    expect(o.identities.get('dfspb')?.key?.alg).toBe('ES256');
    expect(o.hubConnect.secureContext).toBeDefined();
    expect(o.routes.upstreams.map((u) => u.origin).sort()).toEqual(['https://hub.example:8443', 'https://quotes.example']);
    expect(o.token).toMatchObject({ mode: 'oauth', origin: 'https://iam.example', path: '/token', form: 'grant_type=client_credentials&scope=a%20b' });
    expect(o.token?.mode === 'oauth' && o.token.authorization).toBe(`Basic ${Buffer.from('ck:cs').toString('base64')}`);
    expect(c.snapshot.artefacts.map((a) => a.name)).toEqual(expect.arrayContaining(['outbound.client-cert', 'outbound.hub-ca.0', 'outbound.jws-signing:dfspa', 'outbound.jws-signing:dfspb']));
  });

  it('keeps the same keys when nothing relevant changed, so a reload can keep pools and the token', async () => {
    const a = await compileSnapshot(raw());
    const b = await compileSnapshot(raw((r) => (r.log = { level: 'debug' })));
    if (!a.ok || !b.ok) throw new Error('compile failed');
    expect(b.snapshot.outbound!.hubConnect.key).toBe(a.snapshot.outbound!.hubConnect.key);
    expect(b.snapshot.outbound!.token?.key).toBe(a.snapshot.outbound!.token?.key);
    const c = await compileSnapshot(raw((r) => (r.outbound.oauth.clientSecret = 'other')));
    if (!c.ok) throw new Error('compile failed');
    expect(c.snapshot.outbound!.token?.key).not.toBe(a.snapshot.outbound!.token?.key);
    expect(c.snapshot.outbound!.hubConnect.key).toBe(a.snapshot.outbound!.hubConnect.key);
  });

  it('reports every problem with its key', async () => {
    const other = (await rotationPki()).client2.keyPem;
    const c = await compileSnapshot(
      raw((r) => {
        r.jws.signingKeyFile = file('not-a-key.pem', pki.jwsRsa.publicPem); // a public key
        r.jws.identities[0].signingKeyFile = join(dir, 'missing.pem');
        r.outbound.tls.keyFile = file('other.key', other); // belongs to another certificate
        r.outbound.tls.caFiles = [file('garbage.pem', 'hello')];
        r.outbound.hub.routes.transfers = 'http://plain.example';
      }),
    );
    expect(c.ok).toBe(false);
    if (c.ok) return;
    const byKey = Object.fromEntries(c.issues.map((i) => [i.path, i.message]));
    expect(byKey['jws.signingKeyFile']).toMatch(/public key, not a private key/);
    expect(byKey['jws.identities.0.signingKeyFile']).toMatch(/file not found/);
    expect(byKey['outbound.tls.keyFile']).toMatch(/does not belong to the client certificate/);
    expect(byKey['outbound.tls.caFiles.0']).toMatch(/holds no PEM certificate/);
    expect(byKey['outbound.hub.routes.transfers']).toMatch(/plain http/);
  });

  it('refuses an expired client certificate', async () => {
    const { createClientCert } = await import('../../../src/crypto/pki/certificate.js');
    const expired = await createClientCert({ ca: pki.hubCa, cn: 'old', notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const c = await compileSnapshot(
      raw((r) => {
        r.outbound.tls.certFile = file('expired.pem', expired.certPem);
        r.outbound.tls.keyFile = file('expired.key', expired.keyPem);
      }),
    );
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.issues.find((i) => i.path === 'outbound.tls.certFile')?.message).toMatch(/expired/);
  });

  it('reads no signing key when jws.sign is off, and uses a static token as configured', async () => {
    const c = await compileSnapshot(
      raw((r) => {
        r.jws = { sign: false, signingKeyFile: join(dir, 'absent.pem') };
        r.outbound.oauth = { staticToken: 'st-1' };
      }),
    );
    if (!c.ok) throw new Error(JSON.stringify(c.issues));
    expect(c.snapshot.outbound!.identities.get('dfspa')).toEqual({ fspId: 'dfspa', key: undefined });
    expect(c.snapshot.outbound!.token).toMatchObject({ mode: 'static', token: 'st-1' });
  });
});
