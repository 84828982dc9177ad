/**
 * What every `pki` subcommand shares: the subcommand shape and its context, flag parsing, reading
 * input files (size- and type-checked, passphrase files, a CA directory), and printing the result
 * as text or, with --json, as one JSON document.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import {
  PkiInputError,
  checkTargets,
  parseCertificates,
  summariseCertificate,
  type CaMaterial,
  type CertificateSummary,
  type KeyType,
  type OutputFile,
} from '../../crypto/pki/index.js';
import { UsageError, type Io } from '../io.js';

/** Largest file we read as a certificate, key or CSR; anything bigger is not one. */
const MAX_INPUT_BYTES = 1024 * 1024;

export interface PkiDeps {
  /**
   * Asks a yes/no question on the terminal and resolves to the answer, or to undefined when there is
   * no terminal to ask on (stdin is not a TTY): the command then refuses instead of hanging.
   */
  prompt?: (question: string) => Promise<string | undefined>;
}

export interface Ctx {
  io: Io;
  json: boolean;
  deps: Required<PkiDeps>;
  /** Resolve a user-given path against the command's cwd. */
  path: (p: string) => string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Sub {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: boolean;
  run: (values: Values, positionals: string[], ctx: Ctx) => Promise<number>;
}

export const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

// ---------------------------------------------------------------------------------------------
// Flag helpers

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0) : [];
}

export function int(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

export function keyType(values: Values): KeyType {
  const v = str(values, 'key-type') ?? 'rsa';
  if (v !== 'rsa' && v !== 'ec') throw new UsageError(`--key-type must be rsa or ec, got '${v}'`);
  return v;
}

export function profile(values: Values): 'client' | 'server' {
  const v = str(values, 'profile') ?? 'client';
  if (v !== 'client' && v !== 'server') throw new UsageError(`--profile must be client or server, got '${v}'`);
  return v;
}

export async function readInput(ctx: Ctx, path: string, flag?: string): Promise<Buffer> {
  const label = flag ? `${flag} ${path}` : path;
  try {
    // Size and type first: /dev/zero or a FIFO would otherwise be read forever.
    const info = await stat(ctx.path(path));
    if (info.isDirectory()) throw new PkiInputError(`cannot read ${label}: is a directory`);
    if (!info.isFile()) throw new PkiInputError(`cannot read ${label}: not a regular file`);
    if (info.size > MAX_INPUT_BYTES) throw new PkiInputError(`${label} is ${info.size} bytes, too large to be a certificate, key or CSR`);
    return await readFile(ctx.path(path));
  } catch (err) {
    if (err instanceof PkiInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new PkiInputError(`cannot read ${label}: ${why}`);
  }
}

/** A passphrase file holds the passphrase, optionally followed by one newline. */
export async function readPassphrase(ctx: Ctx, path: string, flag: string): Promise<string> {
  const text = (await readInput(ctx, path, flag)).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new PkiInputError(`${flag} ${path} is empty`);
  return text;
}

export async function readCaDir(ctx: Ctx, values: Values): Promise<CaMaterial> {
  const dir = required(values, 'ca');
  const passFile = str(values, 'ca-passphrase-file');
  const passphrase = passFile !== undefined ? await readPassphrase(ctx, passFile, '--ca-passphrase-file') : undefined;
  const read = async (name: string): Promise<string> => {
    try {
      return (await readInput(ctx, join(dir, name), '--ca')).toString('utf8');
    } catch (err) {
      throw new PkiInputError(`${(err as Error).message} (a CA directory holds ca.key.pem and ca.cert.pem, as pki init-ca writes them)`);
    }
  };
  const keyPem = await read('ca.key.pem');
  return { keyPem, certPem: await read('ca.cert.pem'), ...(passphrase !== undefined ? { passphrase } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Output helpers

/** One JSON document on stdout: what --json prints, for a result or an error alike. */
export function printJson(io: Io, doc: Record<string, unknown>): void {
  io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
}

/** The result: `{ ok, ...doc }` as JSON with --json, else the text. */
export function emit(ctx: Ctx, doc: Record<string, unknown>, text: string, ok = true): void {
  if (ctx.json) printJson(ctx.io, { ok, ...doc });
  else ctx.io.stdout(text);
}

export function warn(ctx: Ctx, warnings: readonly string[]): void {
  if (!ctx.json) for (const w of warnings) ctx.io.stderr(`warning: ${w}\n`);
}

/** An output file: `shown` is the path as the user typed it (for messages), resolved for writing. */
export function target(ctx: Ctx, shown: string, data: string | Uint8Array, secret = false): OutputFile {
  return { path: ctx.path(shown), label: shown, data, secret };
}

export function written(files: readonly OutputFile[]): string {
  return files.map((f) => `  ${(f.label ?? f.path).padEnd(28)} ${f.secret ? 'private, mode 0600' : 'mode 0644'}\n`).join('');
}

/** Paths of the files a command will write, checked before any key is generated. */
export async function precheck(ctx: Ctx, shown: readonly string[], force: boolean): Promise<void> {
  await checkTargets(shown.map((p) => ({ path: ctx.path(p), label: p })), force);
}

export function ecWarning(type: KeyType): string[] {
  return type === 'ec' ? ['EC keys do not meet the scheme rule (RSA >= 2048); use them only where the hub agreed to EC'] : [];
}

/** The summary of the first certificate in a PEM the library has just produced. */
export function firstCertificate(pem: string): CertificateSummary {
  const cert = parseCertificates(pem)[0];
  if (!cert) throw new Error('unreachable');
  return summariseCertificate(cert);
}
