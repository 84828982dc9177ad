/**
 * File helpers shared by the MCM steps. Every write is atomic per file (temporary name, fsync,
 * rename); a certificate and its key are written certificate first, key last, and the pending key
 * stays in the state directory until both are in place, so an interrupted install is redone from
 * the state directory by the next cycle rather than leaving a key without its certificate.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KEY_MODE, PUBLIC_MODE, writeFileSafe } from '../crypto/pki/files.js';
import { parseCertificates, type CertificateInfo } from '../crypto/pki/index.js';

export { sameKey } from '../crypto/pki/keys.js';

export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writePublic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileSafe(path, data, { mode: PUBLIC_MODE, force: true });
}

export async function writeSecret(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileSafe(path, data, { mode: KEY_MODE, force: true });
}

/** Certificate first, key last (see the module comment). */
export async function installPair(certPath: string, certPem: string, keyPath: string, keyPem: string): Promise<string[]> {
  await writePublic(certPath, certPem);
  await writeSecret(keyPath, keyPem);
  return [certPath, keyPath];
}

/** PEM text compared by content: line endings and surrounding whitespace do not matter. */
export function samePem(a: string | undefined | null, b: string | undefined | null): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').split('\n').map((l) => l.trim()).filter((l) => l.length > 0).join('\n');
  return a != null && b != null && norm(a) === norm(b);
}

/** Certificates in `pem`, or the reason there are none that parse. */
export function certificatesIn(pem: string | undefined | null, what: string): { certs: CertificateInfo[] } | { error: string } {
  if (pem == null || pem.trim() === '') return { error: `${what} is empty` };
  try {
    const certs = parseCertificates(pem, what);
    if (certs.length === 0) return { error: `${what} holds no certificate` };
    return { certs };
  } catch (err) {
    return { error: `${what}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function publicKeyOf(privateKeyPem: string): KeyObject {
  return createPublicKey(privateKeyPem);
}

export function shortDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
