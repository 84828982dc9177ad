/**
 * pkcs11js is an optional dependency (it compiles at npm ci and is skipped without a compiler). An
 * install without it runs as usual with key files, and a config naming a PKCS#11 key is refused with
 * what to install, not a module-not-found stack. The built CLI runs from a copy of dist/ beside a
 * node_modules that has every package but pkcs11js.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, writeTestPki, type TestPkiFiles } from '../helpers/pki.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let app: string;
let files: TestPkiFiles;

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'no-pkcs11js-'));
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  mkdirSync(join(app, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'pkcs11js' || name === '.bin') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  files = writeTestPki(await makeTestPki());
});

function checkConfig(jws: string): { code: number | null; out: string; err: string } {
  const config = join(files.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(config, `dfspId: dfspa\nadmin: { enabled: false }\ninbound: { enabled: false }\noutbound:\n  tls: { enabled: false }\n  hub: { default: 'http://127.0.0.1:9' }\njws: ${jws}\n`);
  const r = spawnSync(process.execPath, [join(app, 'dist', 'cli.js'), 'check-config', '--config', config], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('an install without the PKCS#11 binding', () => {
  it('runs with key files as usual', () => {
    const r = checkConfig(`{ signingKeyFile: ${files.jwsSigningKey} }`);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses a PKCS#11 key saying what to install', () => {
    const r = checkConfig(`{ signingKeyPkcs11: 'pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:${files.jwsSigningKey}' }`);
    expect(r.code).toBe(2);
    expect(r.err).toContain('jws.signingKeyPkcs11: the PKCS#11 binding (npm package pkcs11js, an optional dependency) is not installed or did not build (MODULE_NOT_FOUND); install a C++ toolchain (Debian: apt-get install python3 make g++) and run npm ci again (docs/hsm.md)');
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
