import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfigCommand } from '../../../src/cli/check-config.js';
import { makeTestPki, writeTestPki, type TestPkiFiles } from '../../helpers/pki.js';

let f: TestPkiFiles;
beforeAll(async () => {
  f = writeTestPki(await makeTestPki());
});

function config(over: Partial<Record<'serverCert' | 'serverKey' | 'clientCert' | 'hubCa' | 'extra', string>> = {}): string {
  const path = join(f.dir, `check-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    `dfspId: payerfsp
jws: { signingKeyFile: ${f.jwsSigningKey}, keysDirectory: ${f.jwsKeysDir} }
inbound:
  tls: { certFile: ${over.serverCert ?? f.dfspServerCert}, keyFile: ${over.serverKey ?? f.dfspServerKey}, caFiles: [${f.dfspCaCert}] }
  allowlist: [10.0.0.0/8]
outbound:
  tls: { caFiles: [${over.hubCa ?? f.hubCaCert}], certFile: ${over.clientCert ?? f.dfspClientCert}, keyFile: ${f.dfspClientKey} }
  hub: { default: "https://hub.example:443" }
${over.extra ?? ''}`,
  );
  return path;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await checkConfigCommand(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: f.dir });
  return { code, out, err };
}

describe('check-config', () => {
  it('exits 0 for a valid config and lists what it loaded', async () => {
    const r = await run(['--config', config()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: valid\n/);
    expect(r.out).toContain('certificate inbound.server-cert');
    expect(r.out).toMatch(/expires in \d+ days/);
  });

  it('exits 2 naming the key of an unreadable certificate', async () => {
    const r = await run(['--config', config({ serverCert: join(f.dir, 'nope.pem') })]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`inbound.tls.certFile: cannot read '${join(f.dir, 'nope.pem')}': file not found`);
  });

  it('exits 2 when a certificate does not match its key, or is not a certificate', async () => {
    const mismatch = await run(['--config', config({ serverKey: f.dfspClientKey })]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toMatch(/inbound\.tls\.(certFile|keyFile): .*(match|private key)/i);
    const garbage = join(f.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const broken = await run(['--config', config({ hubCa: garbage })]);
    expect(broken.code).toBe(2);
    expect(broken.err).toContain('outbound.tls.caFiles');
  });

  it('reports schema problems and file problems of every section, all at once', async () => {
    const r = await run(['--config', config({ extra: 'log: { level: loud }\n' })]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('log.level');
  });

  it('prints JSON with --json', async () => {
    const ok = await run(['--config', config(), '--json']);
    const doc = JSON.parse(ok.out) as { valid: boolean; issues: unknown[]; artefacts: Array<{ name: string; notAfter: string }> };
    expect(doc.valid).toBe(true);
    expect(doc.issues).toEqual([]);
    expect(doc.artefacts.map((a) => a.name)).toContain('inbound.server-cert');
    const bad = await run(['--config', join(f.dir, 'missing.yaml'), '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out)).toMatchObject({ valid: false, issues: [{ message: 'cannot read config: file not found' }] });
  });

  it('exits 2 on an unknown flag, through the dispatcher', async () => {
    const { dispatch } = await import('../../../src/cli.js');
    let err = '';
    const code = await dispatch(['check-config', '--nope'], { stdout: () => {}, stderr: (t) => (err += t), env: {}, cwd: f.dir });
    expect(code).toBe(2);
    expect(err).toContain("Unknown option '--nope'");
  });
});
