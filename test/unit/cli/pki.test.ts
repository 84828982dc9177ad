import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/cli.js';
import { runPkiCli } from '../../helpers/pki.js';
import { openssl, verify, x509Text } from '../crypto/pki/openssl.js';

const workdir = (): string => mkdtempSync(join(tmpdir(), 'pki-cli-'));
const mode = (path: string): number => statSync(path).mode & 0o777;
/** A stack trace line: bad input must never produce one. */
const STACK = /\n\s+at .+\(.+:\d+:\d+\)/;

describe('dfsp-sidecar pki: help and usage', () => {
  it('lists the subcommands and prints each one\'s help with exit 0', async () => {
    const cwd = workdir();
    const top = await runPkiCli(['--help'], { cwd });
    expect(top.code).toBe(0);
    for (const sub of ['init-ca', 'server-cert', 'csr', 'sign-csr', 'jws-keys', 'inspect', 'kit']) {
      expect(top.stdout).toContain(sub);
      const help = await runPkiCli([sub, '--help'], { cwd });
      expect(help.code, sub).toBe(0);
      expect(help.stdout, sub).toMatch(new RegExp(`^usage: dfsp-sidecar pki ${sub} `));
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('exits 2 with a one-line reason on usage errors, in text and in JSON', async () => {
    const cwd = workdir();
    const none = await runPkiCli([], { cwd });
    expect(none.code).toBe(2);
    expect((await runPkiCli(['frobnicate'], { cwd })).stderr).toMatch(/unknown subcommand 'frobnicate'/);
    const unknown = await runPkiCli(['init-ca', '--out', 'x', '--bogus'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
    const missing = await runPkiCli(['init-ca', '--out', 'x', '--cn', 'A', '--o', 'B'], { cwd });
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/--c is required/);
    const badNumber = await runPkiCli(['init-ca', '--out', 'x', '--cn', 'A', '--o', 'B', '--c', 'KE', '--days', 'ten', '--json'], { cwd });
    expect(badNumber.code).toBe(2);
    expect(badNumber.json()).toEqual({ ok: false, command: 'init-ca', error: { kind: 'usage', message: "--days must be a whole number, got 'ten'" } });
    for (const r of [none, unknown, missing, badNumber]) expect(r.stderr).not.toMatch(STACK);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('is reachable through the top-level dispatcher', async () => {
    let out = '';
    const code = await dispatch(['pki', '--help'], { stdout: (t) => (out += t), stderr: () => undefined, env: {}, cwd: workdir() });
    expect(code).toBe(0);
    expect(out).toMatch(/usage: dfsp-sidecar pki <subcommand>/);
  });
});

describe('dfsp-sidecar pki init-ca / server-cert / csr', () => {
  it('creates a CA (RSA 4096 by default), a server certificate and a CSR that OpenSSL accepts', async () => {
    const cwd = workdir();
    const ca = await runPkiCli(['init-ca', '--out', 'ca', '--cn', 'Example DFSP CA', '--o', 'Example Bank', '--c', 'KE'], { cwd });
    expect(ca.code, ca.stderr).toBe(0);
    expect(ca.stdout).toMatch(/created CA 'C=KE, O=Example Bank, CN=Example DFSP CA'/);
    expect(mode(join(cwd, 'ca/ca.key.pem'))).toBe(0o600);
    expect(mode(join(cwd, 'ca/ca.cert.pem'))).toBe(0o644);
    expect(mode(join(cwd, 'ca'))).toBe(0o700);
    const caPem = readFileSync(join(cwd, 'ca/ca.cert.pem'), 'utf8');
    expect(x509Text(caPem)).toContain('Public-Key: (4096 bit)');
    expect(ca.stdout).not.toMatch(/PRIVATE KEY/);

    const srv = await runPkiCli(
      ['server-cert', '--ca', 'ca', '--out', 'srv', '--cn', 'dfsp.example.com', '--dns', 'dfsp.example.com', '--dns', 'alt.example.com,api.example.com', '--ip', '203.0.113.10', '--days', '90', '--json'],
      { cwd },
    );
    expect(srv.code, srv.stderr).toBe(0);
    const doc = srv.json<{ ok: boolean; files: Record<string, string>; certificate: { subject: string; san: { dns: string[]; ip: string[] }; extKeyUsage: string[] } }>();
    expect(doc.ok).toBe(true);
    expect(doc.files).toEqual({ key: 'srv/server.key.pem', cert: 'srv/server.cert.pem', chain: 'srv/server.chain.pem' });
    expect(doc.certificate.subject).toBe('C=KE, O=Example Bank, CN=dfsp.example.com');
    expect(doc.certificate.san).toMatchObject({ dns: ['dfsp.example.com', 'alt.example.com', 'api.example.com'], ip: ['203.0.113.10'] });
    expect(doc.certificate.extKeyUsage).toEqual(['serverAuth']);
    expect(mode(join(cwd, 'srv/server.key.pem'))).toBe(0o600);
    expect(verify(caPem, readFileSync(join(cwd, 'srv/server.cert.pem'), 'utf8'), 'sslserver').code).toBe(0);
    expect(readFileSync(join(cwd, 'srv/server.chain.pem'), 'utf8')).toBe(readFileSync(join(cwd, 'srv/server.cert.pem'), 'utf8') + caPem);

    const csr = await runPkiCli(['csr', '--out', 'cli', '--cn', 'payerfsp', '--o', 'Example Bank', '--c', 'KE'], { cwd });
    expect(csr.code, csr.stderr).toBe(0);
    expect(csr.stderr).toBe('');
    const req = openssl(['req', '-noout', '-verify', '-subject'], readFileSync(join(cwd, 'cli/client.csr.pem'), 'utf8'));
    expect(req.stdout).toContain('subject=C = KE, O = Example Bank, CN = payerfsp');
    expect(req.stderr).toMatch(/verify OK/i);
    expect(mode(join(cwd, 'cli/client.key.pem'))).toBe(0o600);
  });

  it('defaults the SAN to the CN, warns about EC keys, and writes server CSRs under server.*', async () => {
    const cwd = workdir();
    expect((await runPkiCli(['init-ca', '--out', 'ca', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-type', 'ec'], { cwd })).stderr).toMatch(
      /warning: EC keys do not meet the scheme rule/,
    );
    const srv = await runPkiCli(['server-cert', '--ca', 'ca', '--out', 'srv', '--cn', 'dfsp.example.com', '--key-type', 'ec'], { cwd });
    expect(srv.code, srv.stderr).toBe(0);
    expect(srv.stderr).toMatch(/using the CN as the only SAN \(DNS:dfsp\.example\.com\)/);
    expect(x509Text(readFileSync(join(cwd, 'srv/server.cert.pem'), 'utf8'))).toContain('DNS:dfsp.example.com');
    const csr = await runPkiCli(['csr', '--out', 'req', '--cn', 'dfsp.example.com', '--o', 'O', '--c', 'KE', '--profile', 'server', '--key-type', 'ec', '--json'], { cwd });
    expect(csr.code).toBe(0);
    expect(readdirSync(join(cwd, 'req')).sort()).toEqual(['server.csr.pem', 'server.key.pem']);
    // An EC CSR is written but flagged: a hub applying the scheme policy will refuse it.
    expect(csr.json<{ policy: Array<{ rule: string }> }>().policy.map((v) => v.rule)).toEqual(['key-type', 'signature-algorithm']);
  });

  it('never overwrites without --force (exit 2, files untouched), and --force replaces', async () => {
    const cwd = workdir();
    const args = ['init-ca', '--out', 'ca', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-size', '2048'];
    expect((await runPkiCli(args, { cwd })).code).toBe(0);
    const before = readFileSync(join(cwd, 'ca/ca.key.pem'), 'utf8');
    const again = await runPkiCli(args, { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite ca\/ca\.key\.pem, ca\/ca\.cert\.pem \(pass --force to replace\)/);
    expect(readFileSync(join(cwd, 'ca/ca.key.pem'), 'utf8')).toBe(before);
    const forced = await runPkiCli([...args, '--force'], { cwd });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(cwd, 'ca/ca.key.pem'), 'utf8')).not.toBe(before);
    expect(mode(join(cwd, 'ca/ca.key.pem'))).toBe(0o600);
    expect(readdirSync(join(cwd, 'ca')).sort()).toEqual(['ca.cert.pem', 'ca.key.pem']);
  });

  it('keeps the CA key encrypted at rest with --key-passphrase-file, and needs --ca-passphrase-file to use it', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'ca.pass'), 'long ca passphrase\n');
    writeFileSync(join(cwd, 'wrong.pass'), 'not it\n');
    const init = await runPkiCli(['init-ca', '--out', 'ca', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-type', 'ec', '--key-passphrase-file', 'ca.pass'], { cwd });
    expect(init.code, init.stderr).toBe(0);
    const keyPem = readFileSync(join(cwd, 'ca/ca.key.pem'), 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(openssl(['pkey', '-in', join(cwd, 'ca/ca.key.pem'), '-passin', 'pass:long ca passphrase', '-noout']).code).toBe(0);
    const srv = ['server-cert', '--ca', 'ca', '--out', 'srv', '--cn', 'h', '--key-type', 'ec'];
    const without = await runPkiCli(srv, { cwd });
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/the private key is encrypted; give its passphrase with --ca-passphrase-file/);
    const wrong = await runPkiCli([...srv, '--ca-passphrase-file', 'wrong.pass'], { cwd });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    const ok = await runPkiCli([...srv, '--ca-passphrase-file', 'ca.pass'], { cwd });
    expect(ok.code, ok.stderr).toBe(0);
    expect(verify(readFileSync(join(cwd, 'ca/ca.cert.pem'), 'utf8'), readFileSync(join(cwd, 'srv/server.cert.pem'), 'utf8'), 'sslserver').code).toBe(0);
  });

  it('gives clear exit-2 errors for a missing CA, a non-CA, garbage and bad values; never a stack trace', async () => {
    const cwd = workdir();
    await runPkiCli(['init-ca', '--out', 'ca', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-type', 'ec'], { cwd });
    await runPkiCli(['server-cert', '--ca', 'ca', '--out', 'srv', '--cn', 'h', '--key-type', 'ec'], { cwd });
    writeFileSync(join(cwd, 'garbage.pem'), 'this is not a key');
    const cases: Array<[string[], RegExp]> = [
      [['server-cert', '--ca', 'nope', '--out', 'x', '--cn', 'h'], /cannot read --ca nope\/ca\.key\.pem: no such file/],
      [['server-cert', '--ca', 'srv', '--out', 'x', '--cn', 'h'], /cannot read --ca srv\/ca\.key\.pem/],
      [['init-ca', '--out', 'y', '--cn', 'CA', '--o', 'O', '--c', 'Kenya'], /two-letter ISO 3166/],
      [['init-ca', '--out', 'y', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-size', '1024'], /RSA key size must be/],
      [['init-ca', '--out', 'y', '--cn', 'CA', '--o', 'O', '--c', 'KE', '--key-type', 'dsa'], /--key-type must be rsa or ec/],
      [['server-cert', '--ca', 'ca', '--out', 'x', '--cn', 'h', '--ip', '999.1.1.1', '--key-type', 'ec'], /'999\.1\.1\.1' is not an IP address/],
      [['server-cert', '--ca', 'ca', '--out', 'x', '--cn', 'h', '--days', '99999', '--key-type', 'ec'], /validity must be|outlive its CA/],
      [['inspect', 'garbage.pem'], /garbage\.pem: not a certificate, CSR, key or PKCS#12 file/],
      [['inspect', 'ca'], /cannot read ca: is a directory/],
    ];
    for (const [argv, message] of cases) {
      const r = await runPkiCli(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
    }
    // No partial outputs from the refusals.
    expect(readdirSync(cwd).sort()).toEqual(['ca', 'garbage.pem', 'srv']);
  });
});

describe('dfsp-sidecar pki jws-keys', () => {
  it('RS256: key 0600 as PKCS#1, <fspId>.pem to share, certificate, PKCS#12 with a generated passphrase file', async () => {
    const cwd = workdir();
    const r = await runPkiCli(['jws-keys', '--out', 'jws', '--fsp-id', 'payerfsp', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ alg: string; files: Record<string, string>; p12: { file: string; passphraseFile: string }; spkiSha256: string }>();
    expect(doc.alg).toBe('RS256');
    expect(doc.files).toEqual({ privateKey: 'jws/payerfsp.key.pem', publicKey: 'jws/payerfsp.pem', cert: 'jws/payerfsp.cert.pem' });
    expect(doc.p12).toEqual({ file: 'jws/payerfsp.p12', passphraseFile: 'jws/payerfsp.p12.pass' });
    expect(readdirSync(join(cwd, 'jws')).sort()).toEqual(['payerfsp.cert.pem', 'payerfsp.key.pem', 'payerfsp.p12', 'payerfsp.p12.pass', 'payerfsp.pem']);
    for (const secret of ['payerfsp.key.pem', 'payerfsp.p12', 'payerfsp.p12.pass']) expect(mode(join(cwd, 'jws', secret)), secret).toBe(0o600);
    expect(readFileSync(join(cwd, 'jws/payerfsp.key.pem'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    // The passphrase is never printed.
    const pass = readFileSync(join(cwd, 'jws/payerfsp.p12.pass'), 'utf8').trim();
    expect(pass.length).toBeGreaterThanOrEqual(32);
    expect(r.stdout).not.toContain(pass);
    const p12 = openssl(['pkcs12', '-in', join(cwd, 'jws/payerfsp.p12'), '-passin', `file:${join(cwd, 'jws/payerfsp.p12.pass')}`, '-nokeys']);
    expect(p12.code, p12.stderr).toBe(0);
    expect(p12.stdout).toMatch(/subject=CN = payerfsp/);
  });

  it('uses a given passphrase file, and ES256 writes a SEC1 key and says why there is no PKCS#12', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'pass.txt'), 'hunter2\n');
    const rs = await runPkiCli(['jws-keys', '--out', 'jws', '--fsp-id', 'payeefsp', '--p12-passphrase-file', 'pass.txt'], { cwd });
    expect(rs.code, rs.stderr).toBe(0);
    expect(readdirSync(join(cwd, 'jws'))).not.toContain('payeefsp.p12.pass');
    expect(openssl(['pkcs12', '-in', join(cwd, 'jws/payeefsp.p12'), '-passin', 'pass:hunter2', '-noout']).code).toBe(0);

    const es = await runPkiCli(['jws-keys', '--out', 'jws', '--fsp-id', 'ecfsp', '--alg', 'ES256', '--json'], { cwd });
    expect(es.code, es.stderr).toBe(0);
    expect(es.json<{ p12: { file: null; reason: string } }>().p12).toEqual({ file: null, reason: expect.stringMatching(/RSA keys only/) });
    expect(readFileSync(join(cwd, 'jws/ecfsp.key.pem'), 'utf8')).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(createPrivateKey(readFileSync(join(cwd, 'jws/ecfsp.key.pem'), 'utf8')).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(readdirSync(join(cwd, 'jws')).filter((f) => f.startsWith('ecfsp')).sort()).toEqual(['ecfsp.cert.pem', 'ecfsp.key.pem', 'ecfsp.pem']);

    expect((await runPkiCli(['jws-keys', '--out', 'jws', '--fsp-id', 'x', '--alg', 'ES256', '--p12-passphrase-file', 'pass.txt'], { cwd })).code).toBe(2);
    expect((await runPkiCli(['jws-keys', '--out', 'jws', '--fsp-id', '../escape'], { cwd })).stderr).toMatch(/FSP id '\.\.\/escape' must be/);
    writeFileSync(join(cwd, 'empty.txt'), '\n');
    expect((await runPkiCli(['jws-keys', '--out', 'jws2', '--fsp-id', 'y', '--p12-passphrase-file', 'empty.txt'], { cwd })).stderr).toMatch(/empty\.txt is empty/);
  });
});
