/**
 * Load a config once: YAML file, then environment overrides, then one schema validation that
 * reports every problem together with its key path. The result is deep-frozen; nothing on a hot
 * path reads it again (compile.ts turns it into runtime objects).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { applyEnv, type ConfigIssue } from './env.js';
import { configSchema, type SidecarConfig } from './schema.js';

export type { ConfigIssue } from './env.js';

export interface LoadOptions {
  /** YAML file; when absent, DFSP_SIDECAR_CONFIG, else environment variables only. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type LoadResult =
  | { ok: true; config: SidecarConfig; file: string | undefined; fromEnv: string[] }
  | { ok: false; issues: ConfigIssue[]; file: string | undefined };

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const fileArg = opts.file ?? opts.env.DFSP_SIDECAR_CONFIG;
  const file = fileArg ? resolve(opts.cwd, fileArg) : undefined;
  const issues: ConfigIssue[] = [];
  let raw: Record<string, unknown> = {};

  if (file) {
    const read = await readYaml(file);
    if ('issues' in read) return { ok: false, issues: read.issues, file };
    raw = read.value;
  }

  const withEnv = applyEnv(raw, opts.env);
  issues.push(...withEnv.issues);
  const parsed = configSchema.safeParse(withEnv.value);
  if (!parsed.success) issues.push(...parsed.error.issues.map(formatIssue));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues: dedupe(issues), file };

  const baseDir = file ? dirname(file) : opts.cwd;
  return { ok: true, config: deepFreeze(resolvePaths(parsed.data, baseDir)), file, fromEnv: withEnv.fromEnv };
}

async function readYaml(file: string): Promise<{ value: Record<string, unknown> } | { issues: ConfigIssue[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    return { issues: [{ path: file, message: `cannot read config: ${why}` }] };
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { issues: doc.errors.map((e) => ({ path: file, message: `YAML: ${e.message.split('\n')[0]}` })) };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { issues: [{ path: file, message: 'the top level must be a mapping of keys' }] };
  return { value: dropNulls(value) as Record<string, unknown> };
}

/**
 * `key:` with nothing after it (e.g. a section whose entries are all commented out) is YAML null;
 * operators mean "not set", so it is treated as absent and the default applies.
 */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)]));
  }
  return value;
}

function formatIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` };
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return { path, message: `required (${issue.expected})` };
  }
  return { path, message: issue.message.replace(/^Invalid input: /, '') };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Relative file paths are relative to the config file's directory (the cwd without a file). */
function resolvePaths(c: SidecarConfig, baseDir: string): SidecarConfig {
  const r = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const ro = (p: string | undefined) => (p === undefined ? undefined : r(p));
  return {
    ...c,
    jws: {
      ...c.jws,
      signingKeyFile: ro(c.jws.signingKeyFile),
      keysDirectory: ro(c.jws.keysDirectory),
      identities: c.jws.identities.map((i) => ({ ...i, signingKeyFile: r(i.signingKeyFile) })),
    },
    inbound: {
      ...c.inbound,
      tls: {
        ...c.inbound.tls,
        certFile: ro(c.inbound.tls.certFile),
        keyFile: ro(c.inbound.tls.keyFile),
        caFiles: c.inbound.tls.caFiles.map(r),
        crlFiles: c.inbound.tls.crlFiles.map(r),
      },
    },
    outbound: {
      ...c.outbound,
      socketPath: ro(c.outbound.socketPath),
      tls: {
        ...c.outbound.tls,
        certFile: ro(c.outbound.tls.certFile),
        keyFile: ro(c.outbound.tls.keyFile),
        caFiles: c.outbound.tls.caFiles.map(r),
      },
    },
  };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A copy safe to print: secret values replaced. */
export function redactConfig(c: SidecarConfig): unknown {
  const copy = structuredClone(c) as SidecarConfig;
  const o = copy.outbound.oauth as Record<string, unknown>;
  for (const k of ['clientSecret', 'staticToken', 'clientKey']) if (o[k] !== undefined) o[k] = '[redacted]';
  return copy;
}
