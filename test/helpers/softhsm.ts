/**
 * A real SoftHSM2 token in a temporary directory, for the PKCS#11 tests. SoftHSM2 finds its tokens
 * through the config file named by SOFTHSM2_CONF, read when the module is C_Initialize'd: the
 * helper points this process's SOFTHSM2_CONF at a config of its own (one token directory per test
 * file; vitest runs each file in its own process), and child processes get the same variable
 * through `env`. The slot id SoftHSM2 assigns is random, so tests name the token by label.
 *
 * Nothing is skipped: without softhsm2 (Debian package `softhsm2`, which .ci/run installs) the
 * helper fails with what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPkcs11Uri } from '../../src/config/pkcs11-uri.js';
import { closeAllTokens, generateTokenKey, type GeneratedKey } from '../../src/crypto/pkcs11/token.js';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftToken {
  readonly dir: string;
  readonly label: string;
  readonly pin: string;
  readonly pinFile: string;
  readonly module: string;
  /** Variables for a child process that should see this token. */
  readonly env: Record<string, string>;
  /** Generate a key pair inside the token (sensitive, not extractable), as `pki jws-keys --pkcs11` does. */
  generate(alg: 'RS256' | 'ES256', keyLabel: string): GeneratedKey;
  /** The jws.signingKeyPkcs11 URI of a key in this token (pinFile: another PIN file, e.g. a wrong PIN). */
  uri(keyLabel: string, pinFile?: string): string;
  /** Write a file next to the token (e.g. a wrong PIN), returning its path. */
  write(name: string, content: string): string;
  /** Take the token away (its directory renamed: SoftHSM2 then fails every call on it) and bring it back. */
  remove(): void;
  restore(): void;
}

export function softhsmAvailable(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE)) return `${SOFTHSM_MODULE} is missing: apt-get install -y softhsm2`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util is not on PATH: apt-get install -y softhsm2';
  }
  return undefined;
}

export function createSoftToken(opts: { label?: string; pin?: string } = {}): SoftToken {
  const missing = softhsmAvailable();
  if (missing) throw new Error(`the PKCS#11 tests need SoftHSM2: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const label = opts.label ?? 'dfsp-test';
  const pin = opts.pin ?? '271828';
  const env = { SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '314159'], { env: { ...process.env, ...env }, stdio: 'pipe' });
  // This process's module reads SOFTHSM2_CONF at C_Initialize.
  process.env.SOFTHSM2_CONF = conf;
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const pinFile = write('pin', `${pin}\n`);
  return {
    dir,
    label,
    pin,
    pinFile,
    module: SOFTHSM_MODULE,
    env,
    generate(alg, keyLabel) {
      const keyId = Buffer.from(keyLabel).toString('hex');
      try {
        return generateTokenKey({ module: SOFTHSM_MODULE, tokenLabel: label, slot: undefined, serial: undefined, keyLabel, keyId, pin }, alg);
      } finally {
        // The tests' own connections open afresh, as the sidecar's would.
        closeAllTokens();
      }
    },
    uri: (keyLabel, other) => formatPkcs11Uri({ module: SOFTHSM_MODULE, tokenLabel: label, keyLabel, pinFile: other ?? pinFile }),
    write,
    remove: () => renameSync(tokens, `${tokens}.away`),
    restore: () => renameSync(`${tokens}.away`, tokens),
  };
}
