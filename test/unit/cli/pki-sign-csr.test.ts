import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, runPkiCli } from '../../helpers/pki.js';
import { openssl, verify, x509Text } from '../crypto/pki/openssl.js';

const STACK = /\n\s+at .+\(.+:\d+:\d+\)/;
let cwd: string;
let caPem: string;

beforeAll(async () => {
  // Our CA in ./ca (the layout init-ca writes), and three requests from "the hub".
  const pki = await makeTestPki();
  cwd = mkdtempSync(join(tmpdir(), 'pki-sign-'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(cwd, 'ca'));
  writeFileSync(join(cwd, 'ca/ca.key.pem'), pki.dfspCa.keyPem, { mode: 0o600 });
  writeFileSync(join(cwd, 'ca/ca.cert.pem'), pki.dfspCa.certPem);
  caPem = pki.dfspCa.certPem;
  writeFileSync(join(cwd, 'key.pem'), pki.hubClient.keyPem);
  const req = (subj: string, out: string, extra: string[] = []): void => {
    const r = openssl(['req', '-new', '-key', join(cwd, 'key.pem'), '-subj', subj, '-out', join(cwd, out), ...extra]);
    if (r.code !== 0) throw new Error(r.stderr);
  };
  req('/C=KE/O=Hub Operator/CN=hub.example', 'hub.csr', ['-addext', 'subjectAltName=DNS:hub.example']);
  req('/CN=hub.example', 'weak.csr', ['-sha1', '-addext', 'basicConstraints=critical,CA:TRUE']);
  const der = openssl(['req', '-in', join(cwd, 'hub.csr'), '-outform', 'DER', '-out', join(cwd, 'hub.der')]);
  if (der.code !== 0) throw new Error(der.stderr);
});

describe('dfsp-sidecar pki sign-csr', () => {
  it('without --yes and without a terminal: shows the request, refuses with exit 2, tells to pass --yes, writes nothing', async () => {
    const r = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.csr', '--out', 'a.pem'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/subject\s+C=KE, O=Hub Operator, CN=hub\.example/);
    expect(r.stderr).toMatch(/SANs\s+DNS:hub\.example/);
    expect(r.stderr).toMatch(/key\s+RSA 2048/);
    expect(r.stderr).toMatch(/validity\s+\S+ \.\. \S+ \(730 days\)/);
    expect(r.stderr).toMatch(/stdin is not a terminal.*pass --yes to sign it/);
    expect(existsSync(join(cwd, 'a.pem'))).toBe(false);
  });

  it('with a terminal: asks y/N, signs on y and declines (exit 1) on anything else', async () => {
    const questions: string[] = [];
    const yes = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.csr', '--out', 'b.pem', '--days', '30'], {
      cwd,
      prompt: async (q) => {
        questions.push(q);
        return 'y';
      },
    });
    expect(yes.code, yes.stderr).toBe(0);
    expect(questions).toEqual(['Sign this request as client certificate for 30 days? [y/N] ']);
    expect(verify(caPem, readFileSync(join(cwd, 'b.pem'), 'utf8'), 'sslclient').code).toBe(0);
    expect(yes.stdout).toMatch(/signed: wrote b\.pem/);

    const no = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.csr', '--out', 'c.pem'], { cwd, prompt: async () => '' });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/not signed: declined/);
    expect(existsSync(join(cwd, 'c.pem'))).toBe(false);
  });

  it('--yes signs a DER CSR non-interactively; --json reports the plan and the certificate', async () => {
    const r = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.der', '--out', 'd.pem', '--yes', '--days', '365', '--profile', 'server', '--json'], {
      cwd,
      prompt: async () => {
        throw new Error('must not ask with --yes');
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ ok: boolean; plan: Record<string, unknown>; certificate: { extKeyUsage: string[]; subject: string }; file: string }>();
    expect(doc.ok).toBe(true);
    expect(doc.plan).toMatchObject({ subject: 'C=KE, O=Hub Operator, CN=hub.example', profile: 'server', days: 365, issuer: 'C=ZZ, O=Test DFSP, CN=Test DFSP CA' });
    expect(doc.certificate).toMatchObject({ subject: 'C=KE, O=Hub Operator, CN=hub.example', extKeyUsage: ['serverAuth'] });
    expect(doc.file).toBe('d.pem');
    expect(x509Text(readFileSync(join(cwd, 'd.pem'), 'utf8'))).toContain('TLS Web Server Authentication');
  });

  it('refuses a CSR that breaks the policy with exit 1, naming every rule, even with --yes', async () => {
    const text = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'weak.csr', '--out', 'e.pem', '--yes'], { cwd });
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/refused by policy:\n\s+- signature-algorithm: signed with sha1WithRSAEncryption/);
    expect(text.stderr).toMatch(/- subject-o: the subject has no O/);
    expect(text.stderr).toMatch(/- subject-c: the subject has no C/);
    expect(text.stderr).toMatch(/- ca-flag: the request asks for basicConstraints CA:TRUE/);
    const json = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'weak.csr', '--out', 'e.pem', '--yes', '--json'], { cwd });
    expect(json.code).toBe(1);
    const doc = json.json<{ ok: boolean; error: { kind: string; violations: Array<{ rule: string }> } }>();
    expect(doc.ok).toBe(false);
    expect(doc.error.kind).toBe('policy');
    expect(doc.error.violations.map((v) => v.rule)).toEqual(['signature-algorithm', 'subject-o', 'subject-c', 'ca-flag']);
    expect(existsSync(join(cwd, 'e.pem'))).toBe(false);
  });

  it('enforces the validity cap (exit 1) and lets --max-days raise it', async () => {
    const over = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.csr', '--out', 'f.pem', '--yes', '--days', '20', '--max-days', '10'], { cwd });
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/- validity: 20 days requested; at most 10/);
    const ok = await runPkiCli(['sign-csr', '--ca', 'ca', '--csr', 'hub.csr', '--out', 'f.pem', '--yes', '--days', '20', '--max-days', '20'], { cwd });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('gives exit 2 for garbage, a truncated CSR, a certificate passed as a CSR and an existing --out', async () => {
    writeFileSync(join(cwd, 'garbage.csr'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
    writeFileSync(join(cwd, 'truncated.csr'), readFileSync(join(cwd, 'hub.csr'), 'utf8').slice(0, 400));
    const cases: Array<[string[], RegExp]> = [
      [['--csr', 'garbage.csr', '--out', 'g.pem'], /not DER|no CERTIFICATE REQUEST/],
      [['--csr', 'truncated.csr', '--out', 'g.pem'], /no matching END line/],
      [['--csr', 'ca/ca.cert.pem', '--out', 'g.pem'], /no CERTIFICATE REQUEST block/],
      [['--csr', 'missing.csr', '--out', 'g.pem'], /cannot read --csr missing\.csr: no such file/],
      [['--csr', 'hub.csr', '--out', 'b.pem'], /refusing to overwrite b\.pem/],
      [['--csr', 'hub.csr', '--out', 'g.pem', '--profile', 'admin'], /--profile must be client or server/],
    ];
    for (const [args, message] of cases) {
      const r = await runPkiCli(['sign-csr', '--ca', 'ca', ...args, '--yes'], { cwd });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
    }
    expect(existsSync(join(cwd, 'g.pem'))).toBe(false);
  });
});
