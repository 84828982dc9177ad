/**
 * Load a config once: YAML file, then environment overrides, then one schema validation that
 * reports every problem together with its key path. The result is deep-frozen; nothing on a hot
 * path reads it again (src/runtime/compile.ts turns it into runtime objects).
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { applyEnv, objectKeys, schemaAt, schemaLeaves, SDK_DEFAULT_CHANGES, SDK_GAPS, sdkVariables, variablesFor, type ConfigIssue, type LeafKind } from './env.js';
import { configSchema, configShape, SECRET_PATHS, type SidecarConfig } from './schema.js';

export type { ConfigIssue } from './env.js';

export interface LoadOptions {
  /** YAML file; when absent, DFSP_SIDECAR_CONFIG, else environment variables only. */
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type LoadResult =
  | { ok: true; config: SidecarConfig; file: string | undefined; fromEnv: string[]; sources?: ReadonlyMap<string, string> }
  | {
      ok: false;
      issues: ConfigIssue[];
      file: string | undefined;
      /**
       * The config with every invalid value removed (defaults in their place), when the rest still
       * parses: check-config compiles it so that file problems of the keys that are valid are
       * reported in the same pass as the schema problems.
       */
      partial?: SidecarConfig;
    };

/** Where an effective value came from, for `check-config --print`. */
export type Provenance = 'file' | 'default' | string;

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
  const baseDir = file ? dirname(file) : opts.cwd;
  const fromSdk = sdkVariables(opts.env).length > 0;
  if (!parsed.success) issues.push(...parsed.error.issues.flatMap((i) => formatIssue(i, withEnv.value, fromSdk ? opts.env : undefined)));
  if (issues.length > 0 || !parsed.success) {
    const best = parsed.success ? { data: parsed.data, crossKey: [] } : bestEffort(withEnv.value);
    // Cross-key rules only run on a value that passed the per-key checks; run them on what is valid.
    // A rule about a key whose own value was just dropped would only repeat it in other words.
    const reported = issues.map((i) => i.path);
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
    issues.push(
      ...(best?.crossKey ?? [])
        .flatMap((i) => formatIssue(i, withEnv.value, fromSdk ? opts.env : undefined))
        .filter((i) => !reported.some((r) => related(i.path, r))),
    );
    const partial = best?.data;
    return { ok: false, issues: dedupe(issues), file, ...(partial ? { partial: deepFreeze(resolvePaths(partial, baseDir)) } : {}) };
  }

  const sources = new Map<string, string>(withEnv.sources);
  for (const path of schemaLeaves().keys()) {
    if (sources.has(path)) continue;
    sources.set(path, hasPath(raw, path.split('.')) ? 'file' : 'default');
  }
  return { ok: true, config: deepFreeze(resolvePaths(parsed.data, baseDir)), file, fromEnv: withEnv.fromEnv, sources };
}

function hasPath(value: unknown, segments: readonly string[]): boolean {
  let node = value;
  for (const seg of segments) {
    if (node === null || typeof node !== 'object' || !(seg in node)) return false;
    node = (node as Record<string, unknown>)[seg];
  }
  return node !== undefined;
}

/**
 * Drop every value the schema refused (and every unknown key), put a placeholder where a required
 * value is missing, and parse what is left without the cross-key rules. What comes out is not a
 * config anyone runs: it exists so the files the valid keys reference can be checked now rather
 * than after the operator fixed the schema problems one round at a time.
 */
function bestEffort(value: Record<string, unknown>): { data: SidecarConfig; crossKey: z.core.$ZodIssue[] } | undefined {
  // Without the cross-key rules every issue is about one value (type, range, format), so each can
  // be dropped; had the values all been fine, the issues were cross-key ones, already reported.
  const perKey = configShape.safeParse(value);
  if (perKey.success) return { data: perKey.data, crossKey: [] };
  const copy = structuredClone(value);
  for (const issue of perKey.error.issues) {
    const parent = nodeAt(copy, issue.path.slice(0, -1));
    if (issue.code === 'unrecognized_keys') {
      const target = nodeAt(copy, issue.path);
      if (target && typeof target === 'object') for (const k of issue.keys) delete (target as Record<string, unknown>)[k];
      continue;
    }
    const last = issue.path[issue.path.length - 1];
    if (parent && typeof parent === 'object' && last !== undefined) {
      if (Array.isArray(parent) && typeof last === 'number') parent[last] = undefined;
      else delete (parent as Record<PropertyKey, unknown>)[last as PropertyKey];
    }
  }
  compactArrays(copy);
  const placeholderId = typeof copy.dfspId !== 'string';
  if (placeholderId) copy.dfspId = 'unknown';
  const full = configSchema.safeParse(copy);
  const crossKey = full.success ? [] : full.error.issues.filter((i) => i.code === 'custom' && !(placeholderId && i.path[0] === 'jws' && i.path[1] === 'identities'));
  const parsed = configShape.safeParse(copy);
  return parsed.success ? { data: parsed.data, crossKey } : undefined;
}

function compactArrays(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v)) (value as Record<string, unknown>)[k] = v.filter((e) => e !== undefined);
    compactArrays((value as Record<string, unknown>)[k]);
  }
}

function nodeAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return node;
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
    const lines = text.split(/\r?\n/);
    return {
      issues: doc.errors.map((e) => {
        // prettyErrors ends the first line with ':' before a code excerpt; we print one line, so
        // the colon goes and the offending line is quoted instead.
        const first = (e.message.split('\n')[0] ?? '').replace(/:\s*$/, '');
        const lineNo = e.linePos?.[0].line;
        const source = lineNo === undefined ? undefined : lines[lineNo - 1]?.trim();
        return { path: file, message: `YAML: ${first}${source ? ` (the line reads: ${source})` : ''}` };
      }),
    };
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

/** `sdkEnv`: the environment, when sdk-scheme-adapter variables are in use (migration hints). */
function formatIssue(issue: z.core.$ZodIssue, value: Record<string, unknown>, sdkEnv: NodeJS.ProcessEnv | undefined): ConfigIssue[] {
  const fromSdk = sdkEnv !== undefined;
  const path = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeys(schemaAt(issue.path.filter((p): p is string | number => typeof p !== "symbol")));
    return issue.keys.map((key) => {
      const near = nearest(key, known);
      return { path: [...issue.path.map(String), key].join('.'), message: `unknown key${near ? `: did you mean '${near}'?` : ` (known here: ${known.join(', ')})`}` };
    });
  }
  const envHint = () => {
    const vars = variablesFor(path);
    return vars.length > 0 ? `; set it in the config file or with ${vars.join(' or ')}` : '';
  };
  const gap = fromSdk ? SDK_GAPS.find((g) => g.path === path) : undefined;
  const changed = sdkEnv ? SDK_DEFAULT_CHANGES.find((c) => c.hint !== '' && path.startsWith(c.under) && sdkEnv[c.env] === undefined) : undefined;
  const gapHint = gap
    ? `; an SDK-only deployment must add this key, no sdk-scheme-adapter variable sets it (${gap.why}): e.g. ${gap.example}`
    : changed
      ? `; ${changed.hint}`
      : '';
  if (issue.code === 'invalid_type' && nodeAt(value, issue.path) === undefined) {
    return [{ path, message: `required (${issue.expected})${envHint()}${gapHint}` }];
  }
  if (issue.code === 'custom') {
    const unset = nodeAt(value, issue.path) === undefined || (Array.isArray(nodeAt(value, issue.path)) && (nodeAt(value, issue.path) as unknown[]).length === 0);
    return [{ path, message: `${issue.message}${unset ? envHint() : ''}${gapHint}` }];
  }
  const shape = expectedShape(issue.path);
  const got = nodeAt(value, issue.path);
  const shown = got === undefined ? '' : JSON.stringify(got) ?? '';
  const given = shown === '' ? '' : `, got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
  return [{ path, message: `${issue.message.replace(/^Invalid input: /, '')}${shape ? `; write ${shape}${given}` : ''}` }];
}

/** What a well-formed value for the key looks like, for the message about a malformed one. */
function expectedShape(path: readonly PropertyKey[]): string | undefined {
  const key = path.filter((p) => typeof p === 'string').join('.');
  const leaf: LeafKind | undefined = schemaLeaves().get(key)?.kind;
  const name = String(path[path.length - 1] ?? '');
  if (/allowlist|trustedProxies/.test(key)) return "a list of IPv4/IPv6 addresses or CIDR blocks, e.g. ['10.1.0.0/16', '2001:db8::/32']";
  if (/Url$|^url$|tokenEndpoint|^default$/.test(name) || key.startsWith('outbound.hub.routes.')) return 'an http(s) URL, e.g. https://hub.example.com:443/base';
  if (name === 'spkiSha256' || key.endsWith('spkiSha256')) return 'a SHA-256 SPKI pin: 64 hex digits (colons allowed) or 44 base64 characters';
  if (/port$/i.test(name)) return 'a port number 0-65535, e.g. 4000';
  if (name === 'dfspId' || name === 'fspId' || name === 'hubFspId') return 'an FSP id: letters, digits, _ . - (at most 32), e.g. payerfsp';
  switch (leaf) {
    case 'number':
      return /Ms$/.test(name) ? 'a whole number of milliseconds, e.g. 30000' : 'a number, e.g. 60';
    case 'boolean':
      return 'true or false';
    case 'list':
      return /Files$/.test(name) ? 'a list of file paths, e.g. [ca/hub-ca.pem]' : 'a list, e.g. [a, b]';
    case 'number-or-string':
      return "a number, or 'auto'";
    case 'string':
      return /File$|Directory$|socketPath/.test(name) ? 'a file path, e.g. secrets/key.pem' : undefined;
    default:
      return undefined;
  }
}

/** The closest known key by edit distance, when it is close enough to be the one meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
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
      identities: c.jws.identities.map((i) => ({ ...i, signingKeyFile: ro(i.signingKeyFile) })),
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
    mcm: {
      ...c.mcm,
      caFiles: c.mcm.caFiles.map(r),
      stateDirectory: ro(c.mcm.stateDirectory),
      dfspCa: { certFile: ro(c.mcm.dfspCa.certFile), keyFile: ro(c.mcm.dfspCa.keyFile) },
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

/**
 * Every leaf of the effective config with its value and where it came from, secrets masked: what
 * `check-config --print` shows.
 */
export function effectiveConfig(c: SidecarConfig, sources: ReadonlyMap<string, string>): Array<{ key: string; value: unknown; source: string }> {
  const secret = new Set<string>(SECRET_PATHS);
  const out: Array<{ key: string; value: unknown; source: string }> = [];
  for (const key of schemaLeaves().keys()) {
    const value = nodeAt(c, key.split('.'));
    const masked = secret.has(key) && value !== undefined ? '********' : value;
    const from = sources.get(key) ?? 'default';
    const source = from === 'file' || from === 'default' ? from : from.startsWith('DFSP_SIDECAR_') ? `env ${from}` : `SDK variable ${from}`;
    out.push({ key, value: masked, source });
  }
  return out;
}

/** A copy safe to print: secret values replaced. */
export function redactConfig(c: SidecarConfig): unknown {
  const copy = structuredClone(c) as SidecarConfig;
  const o = copy.outbound.oauth as Record<string, unknown>;
  for (const k of ['clientSecret', 'staticToken', 'clientKey']) if (o[k] !== undefined) o[k] = '[redacted]';
  const m = copy.mcm.oauth as Record<string, unknown>;
  if (m.clientSecret !== undefined) m.clientSecret = '[redacted]';
  return copy;
}
