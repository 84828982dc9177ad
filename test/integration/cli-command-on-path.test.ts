/**
 * The README's ways to get the `dfsp-sidecar` command from a checkout work as written: `npx
 * dfsp-sidecar` inside it, and `npm link`, which puts the command on the PATH (here into a
 * throwaway npm prefix, offline, so the machine's global npm stays untouched).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const checkout = fileURLToPath(new URL('../..', import.meta.url));
const prefix = mkdtempSync(join(tmpdir(), 'sidecar-npm-prefix-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

const env = { ...process.env, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

describe('getting the dfsp-sidecar command', () => {
  it('npx dfsp-sidecar runs the checkout\'s own command', () => {
    const out = execFileSync('npx', ['--no-install', 'dfsp-sidecar', '--version'], { cwd: checkout, env, encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe(VERSION);
  });

  it('npm link puts dfsp-sidecar on the PATH, and it answers from any directory', () => {
    execFileSync('npm', ['link'], { cwd: checkout, env, encoding: 'utf8', timeout: 120_000, stdio: 'pipe' });
    const elsewhere = mkdtempSync(join(tmpdir(), 'sidecar-elsewhere-'));
    const out = execFileSync(join(prefix, 'bin', 'dfsp-sidecar'), ['--help'], { cwd: elsewhere, env, encoding: 'utf8', timeout: 30_000 });
    expect(out).toMatch(/^usage: dfsp-sidecar <command>/);
  }, 150_000);
});
