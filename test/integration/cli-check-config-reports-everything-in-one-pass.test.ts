/**
 * `dfsp-sidecar check-config`, run as an operator runs it (the built CLI): schema problems and the
 * file problems of every key that is valid come out together; an unknown key gets the nearest
 * known one; a malformed value is told what it should look like; X and X_FILE together is an
 * error; --print shows the effective config with each value's source and secrets masked.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, writeTestPki, type TestPkiFiles } from '../helpers/pki.js';
import { startSidecarProcess } from '../helpers/sidecar-process.js';

let files: TestPkiFiles;
beforeAll(async () => {
  files = writeTestPki(await makeTestPki());
});

async function checkConfig(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const proc = startSidecarProcess(['check-config', ...args], { cwd: files.dir, env });
  const exit = await proc.exited();
  return { code: exit.code, out: proc.stdout(), err: proc.stderr() };
}

describe('check-config in one pass', () => {
  it('reports a typo, a malformed value and missing files of config.example.yaml together', async () => {
    const example = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
    const config = join(files.dir, 'example-with-mistakes.yaml');
    // The example, with the allowlist key misspelt and the inbound port malformed.
    writeFileSync(config, example.replace(/^(\s+)allowlist:/m, '$1alowlist:').replace(/^(\s+)port: 4000$/m, '$1port: 40o0'));
    const r = await checkConfig(['--config', config]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("inbound.alowlist: unknown key: did you mean 'allowlist'?");
    expect(r.err).toMatch(/inbound\.port: .*write a port number 0-65535, e\.g\. 4000, got "40o0"/);
    // File problems of keys that are valid, in the same run.
    expect(r.err).toMatch(/inbound\.tls\.certFile: cannot read '.*': file not found/);
    expect(r.err).toMatch(/jws\.signingKeyFile: cannot read '.*': file not found/);
    expect(r.err).toMatch(/outbound\.tls\.caFiles\.0: cannot read '.*': file not found/);
  });

  it('refuses a variable set both inline and through _FILE', async () => {
    const config = join(files.dir, 'minimal.yaml');
    writeFileSync(config, 'dfspId: payerfsp\ninbound: { enabled: false }\noutbound: { enabled: false }\n');
    const secretFile = join(files.dir, 'log-level.txt');
    writeFileSync(secretFile, 'debug\n');
    const r = await checkConfig(['--config', config], { DFSP_SIDECAR_LOG__LEVEL: 'info', DFSP_SIDECAR_LOG__LEVEL_FILE: secretFile });
    expect(r.code).toBe(2);
    expect(r.err).toContain('DFSP_SIDECAR_LOG__LEVEL: both DFSP_SIDECAR_LOG__LEVEL and DFSP_SIDECAR_LOG__LEVEL_FILE are set');
  });

  it('--print shows every effective value with its source, secrets masked', async () => {
    const config = join(files.dir, 'print.yaml');
    copyFileSync(files.jwsSigningKey, join(files.dir, 'signing.pem'));
    writeFileSync(
      config,
      `dfspId: payerfsp
inbound: { enabled: false }
jws: { signingKeyFile: signing.pem }
outbound:
  tls: { caFiles: [${files.hubCaCert}], certFile: ${files.dfspClientCert}, keyFile: ${files.dfspClientKey} }
  hub: { default: "https://hub.example:443" }
  oauth: { tokenEndpoint: "https://hub.example/token", clientKey: payerfsp }
`,
    );
    const r = await checkConfig(['--config', config, '--print'], { OAUTH_CLIENT_SECRET: 'sup3r-s3cret', DFSP_SIDECAR_ADMIN__PORT: '4999' });
    expect(r.code).toBe(0);
    const line = (key: string) => r.out.split('\n').find((l) => l.trim().startsWith(`${key} `)) ?? '';
    expect(line('dfspId')).toMatch(/= "payerfsp"\s+# file$/);
    expect(line('outbound.oauth.clientSecret')).toMatch(/= "\*+"\s+# SDK variable OAUTH_CLIENT_SECRET$/);
    expect(line('outbound.oauth.clientKey')).toMatch(/= "\*+"\s+# file$/);
    expect(line('admin.port')).toMatch(/= 4999\s+# env DFSP_SIDECAR_ADMIN__PORT$/);
    expect(line('inbound.port')).toMatch(/= 4000\s+# default$/);
    expect(line('jws.signingKeyFile')).toContain(join(files.dir, 'signing.pem'));
    expect(r.out).not.toContain('sup3r-s3cret');
  });
});
