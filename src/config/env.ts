/**
 * Environment overrides. Every schema key has a variable: `DFSP_SIDECAR_` followed by its path,
 * each segment in UPPER_SNAKE case, segments joined by a double underscore:
 *
 *   inbound.tls.certFile          -> DFSP_SIDECAR_INBOUND__TLS__CERT_FILE
 *   outbound.oauth.clientSecret   -> DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET
 *
 * Appending `_FILE` reads the value from that file instead (trailing newline dropped), which is how
 * Kubernetes and Docker secrets are mounted: DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET_FILE.
 * Lists take comma-separated values (or a JSON array); booleans take true/false/1/0/yes/no.
 *
 * Operators migrating from the Mojaloop sdk-scheme-adapter can keep its variables (SDK_ALIASES);
 * precedence is YAML < SDK variables < DFSP_SIDECAR_* variables.
 */
import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { configShape } from './schema.js';

export const ENV_PREFIX = 'DFSP_SIDECAR_';
/** Variables with the prefix that are not config keys. */
const RESERVED = new Set(['DFSP_SIDECAR_CONFIG']);

export type LeafKind = 'string' | 'number' | 'boolean' | 'list' | 'json' | 'number-or-string';

export interface ConfigIssue {
  /** Config key path (`inbound.tls.certFile`), or the variable/file that could not be read. */
  path: string;
  message: string;
}

interface Def {
  type: string;
  innerType?: ZodType;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  options?: ZodType[];
}
const defOf = (schema: ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: ZodType): ZodType {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if ((d.type === 'default' || d.type === 'prefault' || d.type === 'optional' || d.type === 'nullable') && d.innerType) s = d.innerType;
    else return s;
  }
}

function kindOf(schema: ZodType): LeafKind {
  const d = defOf(unwrap(schema));
  switch (d.type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return d.element && ['string', 'enum'].includes(defOf(unwrap(d.element)).type) ? 'list' : 'json';
    case 'union':
      return 'number-or-string';
    default:
      return 'string';
  }
}

/** Every leaf key of the schema with its kind, e.g. `inbound.port` -> number. */
export function schemaLeaves(schema: ZodType = configShape, prefix: string[] = []): Map<string, { segments: string[]; kind: LeafKind }> {
  const out = new Map<string, { segments: string[]; kind: LeafKind }>();
  const d = defOf(unwrap(schema));
  if (d.type === 'object' && d.shape) {
    for (const [key, child] of Object.entries(d.shape)) {
      for (const [k, v] of schemaLeaves(child, [...prefix, key])) out.set(k, v);
    }
  } else {
    out.set(prefix.join('.'), { segments: prefix, kind: kindOf(schema) });
  }
  return out;
}

const toUpperSnake = (segment: string) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
export const envNameFor = (segments: string[]) => ENV_PREFIX + segments.map(toUpperSnake).join('__');

function coerce(raw: string, kind: LeafKind): { value: unknown } | { error: string } {
  const text = raw.trim();
  switch (kind) {
    case 'number': {
      const n = Number(text);
      return text !== '' && Number.isFinite(n) ? { value: n } : { error: `expected a number, got '${raw}'` };
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return { value: true };
      if (['false', '0', 'no', 'off'].includes(t)) return { value: false };
      return { error: `expected true or false, got '${raw}'` };
    }
    case 'list':
      if (text.startsWith('[')) return parseJson(text);
      return { value: text.split(',').map((s) => s.trim()).filter((s) => s !== '') };
    case 'json':
      return parseJson(text);
    case 'number-or-string':
      return /^\d+$/.test(text) ? { value: Number(text) } : { value: text };
    default:
      return { value: raw };
  }
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: 'expected a JSON value' };
  }
}

function setPath(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments[segments.length - 1] as string] = value;
}

function readSecretFile(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/**
 * sdk-scheme-adapter variables (api-svc config.js) and the keys they set. Endpoints there are
 * `host[:port][/path]` without a scheme; the scheme follows OUTBOUND_MUTUAL_TLS_ENABLED as in the SDK.
 */
export const SDK_ALIASES: ReadonlyArray<{ env: string; path: string; note?: string; map?: (v: string, env: NodeJS.ProcessEnv) => unknown }> = [
  { env: 'DFSP_ID', path: 'dfspId' },
  { env: 'LOG_LEVEL', path: 'log.level' },
  { env: 'JWS_SIGN', path: 'jws.sign' },
  { env: 'JWS_SIGN_PUT_PARTIES', path: 'jws.signPutParties' },
  { env: 'JWS_SIGNING_KEY_PATH', path: 'jws.signingKeyFile' },
  { env: 'VALIDATE_INBOUND_JWS', path: 'jws.verify' },
  {
    env: 'VALIDATE_INBOUND_PUT_PARTIES_JWS',
    path: 'jws.verifyPutParties',
    note: 'true -> always; false -> if-signed (unsigned passes as with the SDK; a signed one is still checked)',
    map: (v) => (isTrue(v) ? 'always' : 'if-signed'),
  },
  { env: 'JWS_VERIFICATION_KEYS_DIRECTORY', path: 'jws.keysDirectory' },
  { env: 'INBOUND_LISTEN_PORT', path: 'inbound.port' },
  { env: 'INBOUND_MUTUAL_TLS_ENABLED', path: 'inbound.tls.enabled' },
  { env: 'IN_CA_CERT_PATH', path: 'inbound.tls.caFiles', note: 'comma-separated list' },
  { env: 'IN_SERVER_CERT_PATH', path: 'inbound.tls.certFile' },
  { env: 'IN_SERVER_KEY_PATH', path: 'inbound.tls.keyFile' },
  { env: 'BACKEND_ENDPOINT', path: 'inbound.core.url', note: 'http:// is added when no scheme is given', map: (v) => withScheme(v, 'http') },
  { env: 'OUTBOUND_LISTEN_PORT', path: 'outbound.port' },
  { env: 'OUTBOUND_MUTUAL_TLS_ENABLED', path: 'outbound.tls.enabled' },
  { env: 'OUT_CA_CERT_PATH', path: 'outbound.tls.caFiles', note: 'comma-separated list' },
  { env: 'OUT_CLIENT_CERT_PATH', path: 'outbound.tls.certFile' },
  { env: 'OUT_CLIENT_KEY_PATH', path: 'outbound.tls.keyFile' },
  ...(
    [
      ['PEER_ENDPOINT', 'outbound.hub.default'],
      ['ALS_ENDPOINT', 'outbound.hub.routes.parties'],
      ['ALS_ENDPOINT', 'outbound.hub.routes.participants'],
      ['QUOTES_ENDPOINT', 'outbound.hub.routes.quotes'],
      ['TRANSFERS_ENDPOINT', 'outbound.hub.routes.transfers'],
      ['BULK_QUOTES_ENDPOINT', 'outbound.hub.routes.bulkQuotes'],
      ['BULK_TRANSFERS_ENDPOINT', 'outbound.hub.routes.bulkTransfers'],
      ['TRANSACTION_REQUESTS_ENDPOINT', 'outbound.hub.routes.transactionRequests'],
      ['TRANSACTION_REQUESTS_ENDPOINT', 'outbound.hub.routes.authorizations'],
      ['FX_QUOTES_ENDPOINT', 'outbound.hub.routes.fxQuotes'],
      ['FX_TRANSFERS_ENDPOINT', 'outbound.hub.routes.fxTransfers'],
      ['PING_ENDPOINT', 'outbound.hub.routes.ping'],
    ] as const
  ).map(([env, path]) => ({
    env,
    path,
    note: 'host[:port][/path]; https:// unless OUTBOUND_MUTUAL_TLS_ENABLED=false',
    map: (v: string, e: NodeJS.ProcessEnv) => withScheme(v, e.OUTBOUND_MUTUAL_TLS_ENABLED !== undefined && !isTrue(e.OUTBOUND_MUTUAL_TLS_ENABLED) ? 'http' : 'https'),
  })),
  { env: 'OAUTH_TOKEN_ENDPOINT', path: 'outbound.oauth.tokenEndpoint' },
  { env: 'OAUTH_CLIENT_KEY', path: 'outbound.oauth.clientKey' },
  { env: 'OAUTH_CLIENT_SECRET', path: 'outbound.oauth.clientSecret' },
  { env: 'OAUTH_REFRESH_SECONDS', path: 'outbound.oauth.refreshSeconds' },
  { env: 'OAUTH_REFRESH_RETRY_SECONDS', path: 'outbound.oauth.refreshRetrySeconds' },
  { env: 'OAUTH_MUTUAL_TLS_ENABLED', path: 'outbound.oauth.mtls' },
  { env: 'WSO2_BEARER_TOKEN', path: 'outbound.oauth.staticToken', note: 'OIDC_BEARER_TOKEN wins when both are set' },
  { env: 'OIDC_BEARER_TOKEN', path: 'outbound.oauth.staticToken' },
];

function isTrue(v: string): boolean {
  return ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
}

function withScheme(v: string, scheme: 'http' | 'https'): string {
  const t = v.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `${scheme}://${t}`;
}

/**
 * Apply SDK aliases then DFSP_SIDECAR_* variables onto `base` (mutated copy returned), collecting
 * every problem rather than stopping at the first. Also returns which keys came from the env, for
 * `check-config` output.
 */
export function applyEnv(
  base: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { value: Record<string, unknown>; issues: ConfigIssue[]; fromEnv: string[]; sources: Map<string, string> } {
  const value = structuredClone(base);
  const issues: ConfigIssue[] = [];
  const fromEnv: string[] = [];
  /** Key path -> the variable that set it last (the one in effect). */
  const sources = new Map<string, string>();
  const leaves = schemaLeaves();

  // X and X_FILE both set is ambiguous: which one the operator meant cannot be guessed, and a
  // silent choice is how a stale secret ends up in production.
  for (const name of Object.keys(env).sort()) {
    if (!name.endsWith('_FILE') || env[name] === undefined || env[name] === '') continue;
    const plain = name.slice(0, -'_FILE'.length);
    const known = plain.startsWith(ENV_PREFIX) || SDK_ALIASES.some((a) => a.env === plain);
    if (known && env[plain] !== undefined && env[plain] !== '') {
      issues.push({ path: plain, message: `both ${plain} and ${name} are set: set the value or the file holding it, not both` });
    }
  }

  const assign = (path: string, raw: string, source: string) => {
    const leaf = leaves.get(path);
    if (!leaf) return;
    const coerced = coerce(raw, leaf.kind);
    if ('error' in coerced) {
      issues.push({ path, message: `${source}: ${coerced.error}` });
      return;
    }
    setPath(value, leaf.segments, coerced.value);
    fromEnv.push(`${path} (${source})`);
    sources.set(path, source);
  };

  for (const alias of SDK_ALIASES) {
    for (const name of [alias.env, `${alias.env}_FILE`]) {
      const raw = env[name];
      if (raw === undefined || raw === '') continue;
      let text: string;
      try {
        text = name.endsWith('_FILE') && alias.env !== name ? readSecretFile(raw) : raw;
      } catch (err) {
        issues.push({ path: alias.path, message: `${name}: cannot read '${raw}': ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
        continue;
      }
      const mapped = alias.map ? alias.map(text, env) : text;
      if (typeof mapped === 'string') assign(alias.path, mapped, name);
      else {
        const leaf = leaves.get(alias.path);
        if (leaf) setPath(value, leaf.segments, mapped);
        fromEnv.push(`${alias.path} (${name})`);
        sources.set(alias.path, name);
      }
    }
  }

  const byEnvName = new Map<string, string>();
  for (const [path, leaf] of leaves) byEnvName.set(envNameFor(leaf.segments), path);

  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || RESERVED.has(name) || raw === undefined) continue;
    const direct = byEnvName.get(name);
    if (direct) {
      assign(direct, raw, name);
      continue;
    }
    const viaFile = name.endsWith('_FILE') ? byEnvName.get(name.slice(0, -'_FILE'.length)) : undefined;
    if (viaFile) {
      try {
        assign(viaFile, readSecretFile(raw), name);
      } catch (err) {
        issues.push({ path: viaFile, message: `${name}: cannot read '${raw}': ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      }
      continue;
    }
    issues.push({ path: name, message: 'unknown variable: no config key has this name (see README, Configuration)' });
  }
  return { value, issues, fromEnv, sources };
}

/**
 * The variables in `env` that configure the sidecar: DFSP_SIDECAR_* (DFSP_SIDECAR_CONFIG included)
 * and the sdk-scheme-adapter variables we honour, with their _FILE forms. `run` starts the dev
 * profile only when this is empty, so a half-configured production environment never quietly
 * becomes a dev sidecar.
 */
export function configuringVariables(env: NodeJS.ProcessEnv): string[] {
  const sdk = new Set(SDK_ALIASES.flatMap((a) => [a.env, `${a.env}_FILE`]));
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && env[name] !== '' && (name.startsWith(ENV_PREFIX) || sdk.has(name)))
    .sort();
}

/** The sdk-scheme-adapter variables set in `env`. */
export function sdkVariables(env: NodeJS.ProcessEnv): string[] {
  const sdk = new Set(SDK_ALIASES.flatMap((a) => [a.env, `${a.env}_FILE`]));
  return Object.keys(env).filter((name) => env[name] !== undefined && env[name] !== '' && sdk.has(name)).sort();
}

/**
 * Keys an sdk-scheme-adapter deployment must add when it moves over: required here, and no SDK
 * variable sets them (the SDK had no equivalent). The README's migration section and the error a
 * missing one produces both come from this list.
 */
export const SDK_GAPS: ReadonlyArray<{ path: string; why: string; example: string }> = [
  {
    path: 'inbound.allowlist',
    why: "the hub's egress addresses allowed to connect; the SDK had no IP allowlist",
    example: 'DFSP_SIDECAR_INBOUND__ALLOWLIST=203.0.113.0/24',
  },
];

/**
 * Defaults that differ from the sdk-scheme-adapter's, where a deployment that relied on the SDK's
 * default gets different behaviour (and, for mTLS, new required keys) unless it sets the variable.
 */
export const SDK_DEFAULT_CHANGES: ReadonlyArray<{ env: string; path: string; sdk: string; ours: string; under: string; hint: string }> = [
  {
    env: 'INBOUND_MUTUAL_TLS_ENABLED',
    path: 'inbound.tls.enabled',
    sdk: 'false',
    ours: 'true',
    under: 'inbound.tls.',
    hint: 'INBOUND_MUTUAL_TLS_ENABLED is not set: the SDK then ran without mTLS, the sidecar runs with it (give IN_SERVER_CERT_PATH, IN_SERVER_KEY_PATH, IN_CA_CERT_PATH; INBOUND_MUTUAL_TLS_ENABLED=false only in a lab)',
  },
  {
    env: 'OUTBOUND_MUTUAL_TLS_ENABLED',
    path: 'outbound.tls.enabled',
    sdk: 'false',
    ours: 'true',
    under: 'outbound.tls.',
    hint: 'OUTBOUND_MUTUAL_TLS_ENABLED is not set: the SDK then called the hub over plain http, the sidecar uses mTLS (give OUT_CA_CERT_PATH, OUT_CLIENT_CERT_PATH, OUT_CLIENT_KEY_PATH; OUTBOUND_MUTUAL_TLS_ENABLED=false only in a lab)',
  },
  {
    env: 'VALIDATE_INBOUND_PUT_PARTIES_JWS',
    path: 'jws.verifyPutParties',
    sdk: 'false (never checked)',
    ours: 'if-signed (unsigned passes; a signed one is checked)',
    under: 'jws.verifyPutParties',
    hint: '',
  },
];

/** The variables that set a key: its DFSP_SIDECAR_* name and any sdk-scheme-adapter alias. */
export function variablesFor(path: string): string[] {
  const leaf = schemaLeaves().get(path);
  const own = leaf ? [envNameFor(leaf.segments)] : [];
  return [...own, ...SDK_ALIASES.filter((a) => a.path === path).map((a) => a.env)];
}

/** The schema node at a key path (array indexes step into the element), or undefined. */
export function schemaAt(segments: readonly (string | number)[], schema: ZodType = configShape): ZodType | undefined {
  let node: ZodType | undefined = schema;
  for (const seg of segments) {
    if (node === undefined) return undefined;
    const d = defOf(unwrap(node));
    if (d.type === 'object' && d.shape && typeof seg === 'string') node = d.shape[seg];
    else if (d.type === 'array' && d.element) node = d.element;
    else return undefined;
  }
  return node;
}

/** The keys an object schema node accepts (empty for anything else). */
export function objectKeys(schema: ZodType | undefined): string[] {
  if (schema === undefined) return [];
  const d = defOf(unwrap(schema));
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}
