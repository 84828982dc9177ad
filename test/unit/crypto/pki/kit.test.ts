import { describe, expect, it } from 'vitest';
import {
  PkiInputError,
  PkiPolicyError,
  PkiVerificationError,
  buildKit,
  createCsr,
  inspect,
  signCsr,
  type KitInput,
} from '../../../../src/crypto/pki/index.js';
import { createHash } from 'node:crypto';
import { makeTestPki, type TestPki } from '../../../helpers/pki.js';

async function fullInput(pki: TestPki): Promise<KitInput> {
  const csr = await createCsr({ cn: pki.fspId, o: 'Example Bank', c: 'KE' });
  const clientCert = signCsr({ ca: pki.hubCa, csrPem: csr.csrPem, days: 7 });
  return {
    fspId: pki.fspId,
    callbackUrl: 'https://dfsp.example.com:9443/fspiop',
    egress: ['8.8.4.4', '1.1.1.0/29'],
    hubEgress: ['9.9.9.9'],
    caCert: { name: 'ca.cert.pem', data: pki.dfspCa.certPem },
    serverCert: { name: 'server.chain.pem', data: pki.dfspServer.chainPem },
    csr: { name: 'client.csr.pem', data: csr.csrPem },
    jwsPublicKey: { name: 'payerfsp.cert.pem', data: pki.jws.rsa.certPem },
    hubClientCert: { name: 'hub-client.pem', data: pki.hubClient.certPem },
    hubCa: { name: 'hub-ca.pem', data: pki.hubCa.certPem },
    clientCert: { name: 'client.cert.pem', data: clientCert.certPem },
    hubJwsKey: { name: 'Hub.pem', data: pki.jws.hub.publicKeyPem },
    peerJwsKeys: [
      { name: 'keys/payeefsp.pem', data: pki.jws.hub.publicKeyPem },
      { name: 'keys/payerfsp.pem', data: pki.jws.rsa.publicKeyPem },
    ],
  };
}

describe('buildKit', () => {
  it('assembles the shareable files, the manifest and a checklist with every step done', async () => {
    const pki = await makeTestPki();
    const kit = buildKit(await fullInput(pki));
    expect(kit.files.map((f) => f.name)).toEqual([
      'server.cert.pem',
      'ca.chain.pem',
      'client.csr.pem',
      'payerfsp.pem',
      'payerfsp.cert.pem',
      'hub-client.cert.pem',
      'manifest.json',
      'CHECKLIST.md',
    ]);
    const m = kit.manifest;
    expect(m.endpoints).toEqual({ callbackUrl: 'https://dfsp.example.com:9443/fspiop', egress: ['8.8.4.4/32', '1.1.1.0/29'] });
    expect(m.received.hubEgress).toEqual(['9.9.9.9/32']);
    expect(m.checklist).toHaveLength(14);
    expect(m.checklist.filter((s) => s.phase === 'tls')).toHaveLength(8);
    expect(m.checklist.filter((s) => s.phase === 'jws')).toHaveLength(4);
    expect(m.checklist.filter((s) => s.status !== 'done')).toEqual([]);
    expect(m.progress).toEqual({ done: 14, total: 14 });
    expect(m.checklist.find((s) => s.id === 'jws.peer-keys')?.detail).toBe('1 key(s): payeefsp');
    // Every file listed with the SHA-256 of exactly the bytes in the kit.
    for (const entry of m.files) {
      const file = kit.files.find((f) => f.name === entry.name);
      expect(createHash('sha256').update(file?.data ?? '').digest('hex')).toBe(entry.sha256);
    }
    expect(JSON.parse(kit.files.find((f) => f.name === 'manifest.json')?.data ?? '')).toEqual(m);
    expect(kit.files.find((f) => f.name === 'CHECKLIST.md')?.data).toMatch(/- \[x\] \*\*Create our CA\*\*/);
  });

  it('never puts a private key in the kit: every file reads back as public objects only', async () => {
    const pki = await makeTestPki();
    const kit = buildKit(await fullInput(pki));
    for (const f of kit.files) {
      expect(f.data, f.name).not.toMatch(/PRIVATE KEY/);
      if (f.name.endsWith('.pem')) {
        const kinds = inspect(f.data).items.map((i) => i.kind);
        expect(kinds.every((k) => k === 'certificate' || k === 'csr' || k === 'public-key'), f.name).toBe(true);
      }
    }
  });

  it('refuses an input that carries a private key, even next to the right certificate', async () => {
    const pki = await makeTestPki();
    const input = await fullInput(pki);
    for (const field of ['serverCert', 'caCert', 'jwsPublicKey', 'csr'] as const) {
      const bad = { ...input, [field]: { name: `${field}.pem`, data: `${String(input[field]?.data)}${pki.dfspServer.keyPem}` } };
      expect(() => buildKit(bad), field).toThrow(/contains a private key/);
    }
    expect(() => buildKit({ ...input, jwsPublicKey: { name: 'k.pem', data: pki.jws.rsa.privateKeyPem } })).toThrow(PkiInputError);
  });

  it('leaves steps pending for what was not given', async () => {
    const pki = await makeTestPki();
    const csr = await createCsr({ cn: pki.fspId, o: 'Example Bank', c: 'KE', keyType: 'rsa' });
    const kit = buildKit({ fspId: pki.fspId, callbackUrl: 'https://dfsp.example.com/', egress: ['8.8.8.8'], csr: { name: 'c.pem', data: csr.csrPem } });
    expect(kit.files.map((f) => f.name)).toEqual(['client.csr.pem', 'manifest.json', 'CHECKLIST.md']);
    const done = kit.manifest.checklist.filter((s) => s.status === 'done').map((s) => s.id);
    expect(done).toEqual(['endpoints.dfsp', 'tls.dfsp-csr']);
    expect(kit.manifest.checklist.find((s) => s.id === 'tls.dfsp-ca')?.detail).toMatch(/pki init-ca/);
  });

  it('cross-checks: server certificate against the CA, client certificate against the CSR, hub client certificate against our CA', async () => {
    const pki = await makeTestPki();
    const input = await fullInput(pki);
    expect(() => buildKit({ ...input, caCert: { name: 'hub-ca.pem', data: pki.hubCa.certPem } })).toThrow(PkiVerificationError);
    const other = await createCsr({ cn: 'payerfsp', o: 'Example Bank', c: 'KE', keyType: 'rsa' });
    expect(() => buildKit({ ...input, csr: { name: 'other.csr', data: other.csrPem } })).toThrow(/is for a different key/);
    expect(() => buildKit({ ...input, hubClientCert: { name: 'x.pem', data: pki.foreignClient.certPem } })).toThrow(/was not issued by our CA/);
    expect(() => buildKit({ ...input, clientCert: { name: 'x.pem', data: pki.expiredDfspClient.certPem } })).toThrow(/expired/);
    expect(() => buildKit({ ...input, serverCert: { name: 's.pem', data: pki.dfspCa.certPem } })).toThrow(/is a CA/);
    expect(() => buildKit({ ...input, csr: { name: 's.pem', data: pki.dfspServer.certPem } })).toThrow(/expected a certificate request/);
  });

  it('lints our CSR as the hub will and refuses one it would reject', async () => {
    const pki = await makeTestPki();
    const input = await fullInput(pki);
    const ec = await createCsr({ cn: 'payerfsp', o: 'Example Bank', c: 'KE', keyType: 'ec' });
    let err: unknown;
    try {
      buildKit({ ...input, clientCert: undefined, csr: { name: 'ec.csr', data: ec.csrPem } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PkiPolicyError);
    expect((err as PkiPolicyError).violations.map((v) => v.rule)).toEqual(['key-type', 'signature-algorithm']);
    expect((err as Error).message).toMatch(/hub would refuse it/);
  });

  it('validates endpoints: https callback, egress IPs and CIDRs with ipaddr.js', async () => {
    const pki = await makeTestPki();
    const base = { fspId: pki.fspId, callbackUrl: 'https://dfsp.example.com/', egress: ['8.8.8.8'] };
    const bad: Array<[Partial<KitInput>, RegExp]> = [
      [{ callbackUrl: 'http://dfsp.example.com/' }, /must be https/],
      [{ callbackUrl: 'not a url' }, /is not a URL/],
      [{ callbackUrl: 'https://u:p@dfsp.example.com/' }, /credentials/],
      [{ callbackUrl: 'https://dfsp.example.com/?a=b' }, /without query/],
      [{ egress: [] }, /at least one egress/],
      [{ egress: ['10.0.0.5/24'] }, /host bits set; did you mean 10\.0\.0\.0\/24/],
      [{ egress: ['127.0.0.1'] }, /loopback/],
      [{ egress: ['0.0.0.0/0'] }, /unspecified/],
      [{ egress: ['300.1.1.1'] }, /not an IP address or CIDR/],
      [{ egress: ['10.1'] }, /dotted-quad/],
      [{ egress: ['2001:db8::1/33'] }, /host bits/],
      [{ fspId: '../etc' }, /FSP id/],
    ];
    for (const [patch, message] of bad) expect(() => buildKit({ ...base, ...patch }), message.source).toThrow(message);
    const ok = buildKit({ ...base, egress: ['10.0.0.0/8', '2001:db8:1::/48', '8.8.8.8', '8.8.8.8/32'] });
    expect(ok.manifest.endpoints.egress).toEqual(['10.0.0.0/8', '2001:db8:1::/48', '8.8.8.8/32']);
    expect(ok.manifest.warnings.join('\n')).toMatch(/10\.0\.0\.0\/8 is a private range[^]*wide range/);
  });
});
