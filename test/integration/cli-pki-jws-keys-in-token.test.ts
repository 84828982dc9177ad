/**
 * `pki jws-keys --pkcs11`, run as an operator runs it (the built CLI, a real SoftHSM2 token): the
 * key pair is generated inside the token, only the public key is written, and the URI it prints is
 * what `check-config` and `doctor` then open, find and test-sign with. A key label already in the
 * token is never replaced.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startSidecarProcess } from '../helpers/sidecar-process.js';
import { createSoftToken, type SoftToken } from '../helpers/softhsm.js';

let token: SoftToken;
beforeAll(() => {
  token = createSoftToken();
});

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = startSidecarProcess(args, { cwd: token.dir, env: token.env });
  const exit = await proc.exited();
  return { code: exit.code, out: proc.stdout(), err: proc.stderr() };
}

function configWith(uri: string): string {
  const file = join(token.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `dfspId: dfspa\nadmin: { enabled: false }\ninbound: { enabled: false }\noutbound:\n  tls: { enabled: false }\n  hub: { default: 'http://127.0.0.1:9' }\njws:\n  signingKeyPkcs11: '${uri}'\n`);
  return file;
}

describe('pki jws-keys --pkcs11', () => {
  it.each(['RS256', 'ES256'] as const)('%s: generates in the token, writes only the public key, and check-config and doctor sign with it', async (alg) => {
    const out = join(token.dir, `out-${alg}`);
    const uri = `pkcs11:token=${token.label};object=dfspa-${alg}?module-path=${token.module}&pin-source=file:${token.pinFile}`;
    const made = await cli(['pki', 'jws-keys', '--out', out, '--fsp-id', 'dfspa', '--alg', alg, '--pkcs11', uri, '--json']);
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    const doc = JSON.parse(made.out);
    expect(doc).toMatchObject({ ok: true, alg, pkcs11: { token: token.label, keyLabel: `dfspa-${alg}`, sensitive: true, extractable: false } });
    // Nothing private on disk: one file, a public key.
    expect(readdirSync(out)).toEqual(['dfspa.pem']);
    const pub = createPublicKey(readFileSync(join(out, 'dfspa.pem')));
    expect(pub.asymmetricKeyType).toBe(alg === 'RS256' ? 'rsa' : 'ec');

    const checked = await cli(['check-config', '--config', configWith(doc.pkcs11.uri)]);
    expect(checked.err).toBe('');
    expect(checked.code).toBe(0);
    expect(checked.out).toContain(`jws-key outbound.jws-signing:dfspa: ${alg} key (label 'dfspa-${alg}', id ${doc.pkcs11.keyId}) in token '${token.label}'`);
    expect(checked.out).toContain('sensitive, not extractable; test signature verified');

    const doctor = await cli(['doctor', '--config', configWith(doc.pkcs11.uri), '--json', '--timeout', '2000']);
    const hsm = (JSON.parse(doctor.out).checks as Array<{ layer: string; ok: boolean; detail: string }>).filter((c) => c.layer === 'hsm');
    expect(hsm).toEqual([expect.objectContaining({ ok: true, detail: expect.stringContaining('test signature made in the token verifies') })]);
  });

  it('never replaces a key already in the token, and writes nothing then', async () => {
    const out = join(token.dir, 'out-again');
    const uri = `pkcs11:token=${token.label};object=dfspa-RS256?module-path=${token.module}&pin-source=file:${token.pinFile}`;
    const again = await cli(['pki', 'jws-keys', '--out', out, '--fsp-id', 'dfspa', '--pkcs11', uri]);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`already holds a key with label 'dfspa-RS256'`);
    expect(existsSync(join(out, 'dfspa.pem'))).toBe(false);
  });

  it('a wrong PIN is refused in plain words', async () => {
    const wrong = token.write('wrong-pin', '000000\n');
    const r = await cli(['pki', 'jws-keys', '--out', join(token.dir, 'out-pin'), '--fsp-id', 'dfspa', '--pkcs11', `pkcs11:token=${token.label};object=x?module-path=${token.module}&pin-source=file:${wrong}`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('CKR_PIN_INCORRECT: the PIN was refused; it is not retried');
  });
});
