/**
 * `check-config` (the built CLI) with a signing key in a PKCS#11 token that cannot be used: a wrong
 * PIN, a token label that is not there, a key label that is not there, and a token that is gone
 * are each reported under the config key with what is wrong, and `run` refuses to start with the
 * same message instead of starting without a usable key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startSidecarProcess } from '../helpers/sidecar-process.js';
import { createSoftToken, type SoftToken } from '../helpers/softhsm.js';

let token: SoftToken;
beforeAll(() => {
  token = createSoftToken();
  token.generate('RS256', 'dfspa-jws');
});

function configWith(uri: string): string {
  const file = join(token.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `dfspId: dfspa\nadmin: { enabled: false }\ninbound: { enabled: false }\noutbound:\n  port: 0\n  tls: { enabled: false }\n  hub: { default: 'http://127.0.0.1:9' }\njws:\n  signingKeyPkcs11: '${uri}'\n`);
  return file;
}

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = startSidecarProcess(args, { cwd: token.dir, env: token.env });
  const exit = await proc.exited();
  return { code: exit.code, out: proc.stdout(), err: proc.stderr() };
}

const uri = (over: { token?: string; object?: string; pinFile?: string } = {}) =>
  `pkcs11:token=${over.token ?? token.label};object=${over.object ?? 'dfspa-jws'}?module-path=${token.module}&pin-source=file:${over.pinFile ?? token.pinFile}`;

describe('check-config with an unusable token key', () => {
  it('a wrong PIN', async () => {
    const r = await cli(['check-config', '--config', configWith(uri({ pinFile: token.write('bad-pin', '999999\n') }))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`jws.signingKeyPkcs11: logging in to token '${token.label}' of module '${token.module}': CKR_PIN_INCORRECT: the PIN was refused; it is not retried (wrong attempts lock the token): fix the PIN file and reload`);
    expect(r.err).not.toContain('999999');
  });

  it('a token label that is not there, naming the tokens that are', async () => {
    const r = await cli(['check-config', '--config', configWith(uri({ token: 'prod-hsm' }))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`jws\\.signingKeyPkcs11: token 'prod-hsm' of module '${token.module}' not found \\(tokens present: '${token.label}' \\(slot \\d+, serial \\w+\\)\\)`));
  });

  it('a key label that is not there', async () => {
    const r = await cli(['check-config', '--config', configWith(uri({ object: 'dfspa-jws-2027' }))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`jws.signingKeyPkcs11: no private key with label 'dfspa-jws-2027' in token '${token.label}'`);
  });

  it('a token that is gone', async () => {
    token.remove();
    try {
      const r = await cli(['check-config', '--config', configWith(uri())]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/jws\.signingKeyPkcs11: .*(C_Initialize|not found).*/);
    } finally {
      token.restore();
    }
  });

  it('run refuses to start with a wrong PIN, with the same message', async () => {
    const r = await cli(['run', '--config', configWith(uri({ pinFile: token.write('bad-pin-2', '123123\n') }))]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('dfsp-sidecar: cannot start');
    expect(r.err).toContain('jws.signingKeyPkcs11: logging in to token');
    expect(r.err).toContain('CKR_PIN_INCORRECT');
  });

  it('the same config with the right PIN is valid', async () => {
    const r = await cli(['check-config', '--config', configWith(uri())]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
