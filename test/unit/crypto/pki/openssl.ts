/**
 * The independent check: the `openssl` CLI reading what our toolkit wrote. Files go to a per-call
 * temp directory; nothing here parses certificates itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function openssl(args: readonly string[], input?: string | Buffer): OpensslResult {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function tempDir(prefix = 'pki-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files into a fresh temp dir; returns their paths by name. */
export function files(contents: Record<string, string | Buffer>): Record<string, string> {
  const dir = tempDir();
  const out: Record<string, string> = {};
  for (const [name, data] of Object.entries(contents)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], data);
  }
  return out;
}

/** `openssl x509 -text` of a PEM certificate. */
export function x509Text(pem: string): string {
  const r = openssl(['x509', '-noout', '-text'], pem);
  if (r.code !== 0) throw new Error(`openssl x509 failed: ${r.stderr}`);
  return r.stdout;
}

/** `openssl verify` of `certPem` against `caPem`, optionally with a purpose (sslserver, sslclient). */
export function verify(caPem: string, certPem: string, purpose?: 'sslserver' | 'sslclient', untrusted?: string): OpensslResult {
  const f = files({ 'ca.pem': caPem, 'cert.pem': certPem, ...(untrusted ? { 'untrusted.pem': untrusted } : {}) });
  const args = ['verify', '-CAfile', f['ca.pem'] as string];
  if (purpose) args.push('-purpose', purpose);
  if (untrusted) args.push('-untrusted', f['untrusted.pem'] as string);
  args.push(f['cert.pem'] as string);
  return openssl(args);
}
