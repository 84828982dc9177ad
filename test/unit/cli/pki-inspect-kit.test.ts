import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCsr, signCsr } from '../../../src/crypto/pki/index.js';
import { makeTestPki, runPkiCli, type TestPki } from '../../helpers/pki.js';

const STACK = /\n\s+at .+\(.+:\d+:\d+\)/;
let cwd: string;
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
  cwd = mkdtempSync(join(tmpdir(), 'pki-kit-'));
  const csr = await createCsr({ cn: pki.fspId, o: 'Example Bank', c: 'KE' });
  const put = (name: string, data: string): void => writeFileSync(join(cwd, name), data);
  put('ca.cert.pem', pki.dfspCa.certPem);
  put('hub-ca.pem', pki.hubCa.certPem);
  put('server.chain.pem', pki.dfspServer.chainPem);
  put('server.key.pem', pki.dfspServer.keyPem);
  put('client.csr.pem', csr.csrPem);
  put('client.cert.pem', signCsr({ ca: pki.hubCa, csrPem: csr.csrPem, days: 7 }).certPem);
  put('payerfsp.pem', pki.jws.rsa.publicKeyPem);
  put('hub-client.cert.pem', pki.hubClient.certPem);
  put('Hub.pem', pki.jws.hub.publicKeyPem);
  put('expired.pem', pki.expiredDfspClient.certPem);
  put('combined.pem', pki.dfspServer.certPem + pki.dfspServer.keyPem);
  mkdirSync(join(cwd, 'peers'));
  writeFileSync(join(cwd, 'peers/payeefsp.pem'), pki.jws.hub.publicKeyPem);
  writeFileSync(join(cwd, 'peers/README'), 'not a key');
});

describe('dfsp-sidecar pki inspect', () => {
  it('describes several files, pairs the key with its certificate and verifies the chain', async () => {
    const r = await runPkiCli(['inspect', 'server.chain.pem', 'server.key.pem', '--ca', 'ca.cert.pem'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/server\.chain\.pem \(PEM, 2 items\)/);
    expect(r.stdout).toMatch(/SANs\s+DNS:localhost, IP:127\.0\.0\.1, IP:::1/);
    expect(r.stdout).toMatch(/validity\s+\S+Z \.\. \S+Z \(6 days left\)/);
    expect(r.stdout).toMatch(/chain\s+OK: C=ZZ, O=Test DFSP, CN=localhost -> C=ZZ, O=Test DFSP, CN=Test DFSP CA/);
    expect(r.stdout).toMatch(/key in server\.key\.pem matches certificate in server\.chain\.pem#1/);
    expect(r.stdout).not.toMatch(/BEGIN|PRIVATE KEY-/);
  });

  it('exits 1 when the chain does not verify, and says why', async () => {
    const wrong = await runPkiCli(['inspect', 'server.chain.pem', '--ca', 'hub-ca.pem'], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/chain\s+FAILED: 'C=ZZ, O=Test DFSP, CN=Test DFSP CA' is a root that is not among the trusted CA certificates/);
    const expired = await runPkiCli(['inspect', 'expired.pem', '--ca', 'hub-ca.pem', '--json'], { cwd });
    expect(expired.code).toBe(1);
    const doc = expired.json<{ ok: boolean; files: Array<{ chain: { ok: boolean; error: string }; items: Array<{ certificate: { status: string; daysLeft: number } }> }> }>();
    expect(doc.ok).toBe(false);
    expect(doc.files[0]?.chain).toMatchObject({ ok: false, error: expect.stringMatching(/expired on/) });
    expect(doc.files[0]?.items[0]?.certificate).toMatchObject({ status: 'expired', daysLeft: -2 });
  });

  it('reports policy findings, and --strict turns them into exit 1', async () => {
    writeFileSync(join(cwd, 'ec-server.pem'), pki.ec.dfspServer.certPem);
    const lax = await runPkiCli(['inspect', 'ec-server.pem'], { cwd });
    expect(lax.code).toBe(0);
    expect(lax.stdout).toMatch(/policy\s+1 finding:\n\s+- key-type: EC P-256 key; allowed: RSA/);
    expect((await runPkiCli(['inspect', 'ec-server.pem', '--strict'], { cwd })).code).toBe(1);
    expect((await runPkiCli(['inspect', 'server.chain.pem', '--strict'], { cwd })).code).toBe(0);
  });

  it('gives exit 2 when --ca has nothing to verify or cannot be read', async () => {
    const r = await runPkiCli(['inspect', 'client.csr.pem', '--ca', 'ca.cert.pem'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no input holds a certificate to verify/);
    expect((await runPkiCli(['inspect'], { cwd })).stderr).toMatch(/give at least one FILE/);
    expect((await runPkiCli(['inspect', 'ca.cert.pem', '--ca', 'client.csr.pem'], { cwd })).stderr).toMatch(/CA file: no CERTIFICATE block/);
  });
});

describe('dfsp-sidecar pki kit', () => {
  const base = ['kit', '--fsp-id', 'payerfsp', '--callback-url', 'https://dfsp.example.com:9443', '--egress', '8.8.4.4', '--egress', '1.1.1.0/29'];

  it('writes the kit: shared files, manifest.json, CHECKLIST.md, and never a private key', async () => {
    const r = await runPkiCli(
      [
        ...base,
        '--out',
        'kit',
        '--ca-cert',
        'ca.cert.pem',
        '--server-cert',
        'server.chain.pem',
        '--csr',
        'client.csr.pem',
        '--jws-public-key',
        'payerfsp.pem',
        '--hub-client-cert',
        'hub-client.cert.pem',
        '--hub-ca',
        'hub-ca.pem',
        '--client-cert',
        'client.cert.pem',
        '--hub-jws-key',
        'Hub.pem',
        '--peer-jws-dir',
        'peers',
        '--json',
      ],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(cwd, 'kit')).sort();
    expect(files).toEqual(['CHECKLIST.md', 'ca.chain.pem', 'client.csr.pem', 'hub-client.cert.pem', 'manifest.json', 'payerfsp.pem', 'server.cert.pem']);
    for (const f of files) expect(readFileSync(join(cwd, 'kit', f), 'utf8'), f).not.toMatch(/PRIVATE KEY/);
    const manifest = JSON.parse(readFileSync(join(cwd, 'kit/manifest.json'), 'utf8')) as { progress: unknown; endpoints: unknown; checklist: Array<{ id: string; status: string }> };
    expect(manifest.progress).toEqual({ done: 13, total: 14 });
    expect(manifest.checklist.filter((s) => s.status === 'pending').map((s) => s.id)).toEqual(['endpoints.hub']);
    expect(manifest.endpoints).toEqual({ callbackUrl: 'https://dfsp.example.com:9443/', egress: ['8.8.4.4/32', '1.1.1.0/29'] });
    expect(r.json<{ manifest: unknown }>().manifest).toEqual(manifest);
    expect(readFileSync(join(cwd, 'kit/CHECKLIST.md'), 'utf8')).toMatch(/13 of 14 steps done/);
  });

  it('refuses an input holding a private key (exit 2) and writes no kit', async () => {
    const r = await runPkiCli([...base, '--out', 'kit2', '--server-cert', 'combined.pem'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/combined\.pem contains a private key; a kit never holds private keys/);
    expect(readdirSync(cwd)).not.toContain('kit2');
    const key = await runPkiCli([...base, '--out', 'kit2', '--jws-public-key', 'server.key.pem'], { cwd });
    expect(key.code).toBe(2);
    expect(readdirSync(cwd)).not.toContain('kit2');
  });

  it('exits 1 when inputs do not verify against each other, 2 on bad endpoints', async () => {
    const mismatch = await runPkiCli([...base, '--out', 'kit3', '--ca-cert', 'hub-ca.pem', '--server-cert', 'server.chain.pem'], { cwd });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/server\.chain\.pem does not verify against hub-ca\.pem/);
    const http = await runPkiCli(['kit', '--out', 'kit3', '--fsp-id', 'payerfsp', '--callback-url', 'http://x.example', '--egress', '8.8.8.8'], { cwd });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/must be https/);
    const noEgress = await runPkiCli(['kit', '--out', 'kit3', '--fsp-id', 'payerfsp', '--callback-url', 'https://x.example'], { cwd });
    expect(noEgress.stderr).toMatch(/--egress is required/);
    for (const r of [mismatch, http, noEgress]) expect(r.stderr).not.toMatch(STACK);
    expect(readdirSync(cwd)).not.toContain('kit3');
  });

  it('replaces a previous kit only with --force, dropping files no longer given, and refuses a directory with other files', async () => {
    const first = await runPkiCli([...base, '--out', 'kit4', '--csr', 'client.csr.pem', '--jws-public-key', 'payerfsp.pem'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    const again = await runPkiCli([...base, '--out', 'kit4', '--csr', 'client.csr.pem'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/kit4 is not empty \(pass --force/);
    const forced = await runPkiCli([...base, '--out', 'kit4', '--csr', 'client.csr.pem', '--force'], { cwd });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(join(cwd, 'kit4')).sort()).toEqual(['CHECKLIST.md', 'client.csr.pem', 'manifest.json']);
    writeFileSync(join(cwd, 'kit4/notes.txt'), 'mine');
    const stranger = await runPkiCli([...base, '--out', 'kit4', '--csr', 'client.csr.pem', '--force'], { cwd });
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/holds files that are not part of a kit: notes\.txt/);
  });
});
