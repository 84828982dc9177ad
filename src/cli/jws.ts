/**
 * `dfsp-sidecar jws sign|verify`: sign an FSPIOP request by hand, or check a captured one, with the
 * same engine the gateways use (src/crypto/jws). For debugging interop: "what exactly would we
 * send?" and "why does this message fail?".
 *
 * Exit codes (src/cli/io.ts): 0 signed / valid; 1 the body is refused by policy (sign) or the
 * message does not verify (verify); 2 usage or input error (bad flag, unreadable file, a body that
 * is not JSON, a key that cannot be used). Errors are one line, never a stack trace, never key
 * material.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createVerifyPolicy,
  isJwsAlgorithm,
  loadPeerKeys,
  loadSigningKey,
  signRequest,
  verifyRequest,
  type JwsAlgorithm,
  type VerifyPolicyOptions,
  type VerifyResult,
} from '../crypto/jws/index.js';
import { CATALOGUE, isSidecarError } from '../shared/errors.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type Command, type Io } from './io.js';

/** Largest key, header or body file read; FSPIOP bodies are far smaller. */
const MAX_INPUT_BYTES = 10 * 1024 * 1024;

export interface JwsCommandDeps {
  /** Reads all of stdin (for `--body -`). */
  readStdin?: () => Promise<Buffer>;
}

const SIGN_USAGE = `usage: dfsp-sidecar jws sign --key KEY.pem --source FSP [--destination FSP] --method METHOD
                         --uri PATH --body FILE|- [--date DATE] [--no-sign-put-parties] [--json]

Signs a request as the outbound gateway would and prints the headers to send, a blank line and
the exact body bytes to send (no newline added). With --json: {"headers": {...}, "body": "...",
"signed": true}. GET and DELETE are not signed; the headers are printed without a signature.

  --key         private key, PKCS#1/PKCS#8 RSA (RS256) or SEC1/PKCS#8 P-256 (ES256)
  --source      our FSP id (FSPIOP-Source)
  --destination FSPIOP-Destination, when known
  --method      HTTP method
  --uri         request path; FSPIOP-URI is derived from it (no base path, no query)
  --body        the core's JSON body, a file or - for stdin; re-serialised canonically
  --date        a Date to keep if already in toUTCString() form (default: now)
`;

const VERIFY_USAGE = `usage: dfsp-sidecar jws verify --keys DIR (--request FILE|- | --headers FILE.json --body FILE|- [--method M] [--path P])
                           [--destination-policy sdk-strict|spec] [--put-parties always|if-signed|never]
                           [--algorithms RS256,ES256,...] [--hub-id ID --allow-unsigned-hub]
                           [--ignore-request-line] [--json]

Checks a captured request against a peer key directory (<fspId>.pem, <fspId>.next.pem, <fspId>.json)
and says which check failed and why. Exit 0 when valid, 1 when not.
With --json: {"valid": bool, "reason": "...", "matched": "raw|sorted|insertion", "requestLine": ...}.

  --request   the raw HTTP request as captured: request line, headers, blank line, body bytes
  --headers   a JSON object of the request headers (any case), or the output of 'jws sign --json'
  --body      the exact body bytes received, a file or - for stdin
  --method    the request method (default: the fspiop-http-method header)
  --path      the request path (default: the fspiop-uri header)
When the capture has a request line (--request, or both --method and --path), FSPIOP-HTTP-Method
and FSPIOP-URI must match it, as the inbound gateway checks by default; --ignore-request-line skips
that check (the SDK never made it). Policies default to the gateway's, except /ping, which is
always verified here.
`;

/**
 * A raw captured HTTP/1.x request: the request line, header lines, a blank line, the body. The body
 * is kept byte for byte (Content-Length bounds it when present: a capture often ends in a newline).
 */
export function parseRawRequest(raw: Buffer, path: string): { method: string; target: string; headers: Record<string, string | string[]>; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, skip: 4 } : lf >= 0 ? { at: lf, skip: 2 } : { at: raw.length, skip: 0 };
  const lines = raw.subarray(0, end.at).toString('latin1').split(/\r?\n/);
  const requestLine = /^([A-Z]+) (\S+) HTTP\/\d\.\d$/.exec(lines[0] ?? '');
  if (!requestLine) throw new UsageError(`--request ${path}: the first line is not an HTTP request line (e.g. 'PUT /transfers/{id} HTTP/1.1')`);
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--request ${path}: '${line}' is not a header line`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prior = headers[name];
    headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  let body = raw.subarray(end.at + end.skip);
  const length = typeof headers['content-length'] === 'string' ? Number(headers['content-length']) : NaN;
  if (Number.isInteger(length) && length >= 0 && length <= body.length) body = body.subarray(0, length);
  const target = requestLine[2] as string;
  // An absolute-form target (through a proxy) carries scheme and host: the path is what is signed.
  const pathOnly = /^https?:\/\//i.test(target) ? `${new URL(target).pathname}${new URL(target).search}` : target;
  return { method: requestLine[1] as string, target: pathOnly, headers, body };
}

export function jwsUsage(): string {
  return `usage: dfsp-sidecar jws <sign|verify> [options]\n\n  sign     sign a request as the outbound gateway would\n  verify   check the signature of a captured request\n\n'dfsp-sidecar jws <sign|verify> --help' for the options.\n`;
}

type Values = Record<string, string | boolean | undefined>;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Values, name: string, usage: string): string {
  const v = str(values, name);
  if (v === undefined || v.trim() === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return v;
}

function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

async function readInput(io: Io, deps: Required<JwsCommandDeps>, path: string, flag: string): Promise<Buffer> {
  if (path === '-') {
    const data = await deps.readStdin();
    if (data.length > MAX_INPUT_BYTES) throw new UsageError(`${flag} -: stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    return data;
  }
  const full = resolve(io.cwd, path);
  try {
    // Type and size first: /dev/zero or a FIFO would otherwise be read forever.
    const info = await stat(full);
    if (!info.isFile()) throw new UsageError(`cannot read ${flag} ${path}: not a regular file`);
    if (info.size > MAX_INPUT_BYTES) throw new UsageError(`${flag} ${path} is ${info.size} bytes; the limit is ${MAX_INPUT_BYTES}`);
    return await readFile(full);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')}`);
  }
}

async function readProcessStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_INPUT_BYTES) break;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

// Body refusals that mean "this is not JSON" are input errors (2); the rest are policy (1).
const INPUT_REASONS = new Set(['empty_body', 'invalid_utf8', 'byte_order_mark', 'invalid_json']);

async function sign(values: Values, io: Io, deps: Required<JwsCommandDeps>): Promise<number> {
  const keyPath = required(values, 'key', SIGN_USAGE);
  const source = required(values, 'source', SIGN_USAGE);
  const method = required(values, 'method', SIGN_USAGE).toUpperCase();
  const uri = required(values, 'uri', SIGN_USAGE);
  const bodyPath = str(values, 'body');
  const signs = method === 'POST' || method === 'PUT' || method === 'PATCH';
  if (signs && bodyPath === undefined) throw new UsageError(`--body is required for ${method}\n\n${SIGN_USAGE}`);
  let key;
  try {
    key = loadSigningKey(await readInput(io, deps, keyPath, '--key'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--key ${keyPath}: ${(err as Error).message}`);
  }
  const body = bodyPath === undefined ? undefined : await readInput(io, deps, bodyPath, '--body');
  const date = str(values, 'date');
  let out;
  try {
    out = signRequest(
      { method, path: uri, headers: date === undefined ? {} : { date }, body, source, destination: str(values, 'destination'), key },
      { signPutParties: values['no-sign-put-parties'] !== true },
    );
  } catch (err) {
    if (!isSidecarError(err)) throw err;
    const exit = INPUT_REASONS.has(err.reason) ? EXIT_USAGE : EXIT_REFUSED;
    if (values.json === true) io.stdout(`${JSON.stringify({ signed: false, error: { code: err.code, fspiopCode: err.entry.fspiopCode, reason: err.reason, detail: err.detail } }, null, 2)}\n`);
    io.stderr(`dfsp-sidecar jws sign: cannot sign (${err.reason}): ${err.detail ?? err.entry.description}\n`);
    return exit;
  }
  if (values.json === true) {
    io.stdout(`${JSON.stringify({ headers: out.headers, body: out.body === undefined ? null : out.body.toString('utf8'), signed: out.signed }, null, 2)}\n`);
  } else {
    if (!out.signed) io.stderr(`note: ${method} ${uri} is not signed (FSPIOP signs POST, PUT and PATCH${method === 'PUT' ? '; PUT /parties signing is off' : ''})\n`);
    const head = Object.entries(out.headers).map(([k, v]) => `${k}: ${v}\n`).join('');
    io.stdout(`${head}\n${out.body === undefined ? '' : out.body.toString('utf8')}`);
  }
  return EXIT_OK;
}

function parseHeaders(raw: Buffer, path: string): Record<string, string | string[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UsageError(`--headers ${path}: not JSON; expected an object of header names to values`);
  }
  // Also accept the document `jws sign --json` prints.
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'headers' in doc && typeof (doc as { headers: unknown }).headers === 'object') {
    doc = (doc as { headers: unknown }).headers;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`--headers ${path}: expected a JSON object of header names to values`);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(doc)) {
    const ok = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) throw new UsageError(`--headers ${path}: the value of '${name}' must be a string`);
    // Node lower-cases incoming header names, and the verifier reads lower-case names.
    out[name.toLowerCase()] = value as string | string[];
  }
  return out;
}

function first(h: Record<string, string | string[]>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function verdict(r: VerifyResult): { valid: boolean; line: string; doc: Record<string, unknown> } {
  if (r.ok && r.verified) {
    return {
      valid: true,
      line: `valid: signature of ${r.source} verified (${r.alg}, key ${r.keyFingerprint}, matched the ${r.matched} body)\n`,
      doc: { valid: true, reason: 'verified', matched: r.matched, source: r.source, alg: r.alg, keyFingerprint: r.keyFingerprint },
    };
  }
  if (r.ok) {
    return { valid: true, line: `valid: not verified, exempt by policy (${r.exemption})\n`, doc: { valid: true, reason: 'exempt', exemption: r.exemption, matched: null } };
  }
  const entry = CATALOGUE[r.code];
  return {
    valid: false,
    line: `invalid: ${r.reason} → ${entry.status} ${entry.fspiopCode} ${entry.description}\n  ${r.detail}\n`,
    doc: { valid: false, reason: r.reason, matched: null, code: r.code, fspiopCode: entry.fspiopCode, detail: r.detail },
  };
}

async function verify(values: Values, io: Io, deps: Required<JwsCommandDeps>): Promise<number> {
  const dir = required(values, 'keys', VERIFY_USAGE);
  const requestPath = str(values, 'request');
  if (requestPath !== undefined && (values.headers !== undefined || values.body !== undefined)) throw new UsageError('--request holds the headers and body: give it, or --headers with --body, not both');
  const headersPath = requestPath === undefined ? required(values, 'headers', VERIFY_USAGE) : undefined;
  const bodyPath = requestPath === undefined ? required(values, 'body', VERIFY_USAGE) : undefined;
  const algorithms = str(values, 'algorithms')?.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
  for (const a of algorithms ?? []) if (!isJwsAlgorithm(a)) throw new UsageError(`--algorithms: unknown algorithm '${a}' (RS256, ES256, RS384, RS512)`);
  const hubId = str(values, 'hub-id');
  if (values['allow-unsigned-hub'] === true && hubId === undefined) throw new UsageError('--allow-unsigned-hub needs --hub-id');
  const destination = oneOf(values, 'destination-policy', ['sdk-strict', 'spec'] as const);
  const putParties = oneOf(values, 'put-parties', ['always', 'if-signed', 'never'] as const);
  const captured = requestPath === undefined ? undefined : parseRawRequest(await readInput(io, deps, requestPath, '--request'), requestPath);
  // A known request line is checked, as the inbound gateway does by default; one made up from the
  // FSPIOP headers themselves would only compare them with themselves.
  const requestLineKnown = captured !== undefined || (str(values, 'method') !== undefined && str(values, 'path') !== undefined);
  const checkRequestLine = values['ignore-request-line'] !== true && (requestLineKnown || values['check-request-line'] === true);
  const policyOptions: Partial<VerifyPolicyOptions> = {
    ping: 'enforce',
    requestLine: checkRequestLine ? 'enforce' : 'off',
    allowUnsignedFromHub: values['allow-unsigned-hub'] === true,
    hubFspId: hubId,
    ...(destination ? { destination } : {}),
    ...(putParties ? { putParties } : {}),
    ...(algorithms && algorithms.length > 0 ? { algorithms: algorithms as JwsAlgorithm[] } : {}),
  };

  const headers = captured?.headers ?? parseHeaders(await readInput(io, deps, headersPath as string, '--headers'), headersPath as string);
  const body = captured?.body ?? (await readInput(io, deps, bodyPath as string, '--body'));
  const method = str(values, 'method') ?? captured?.method ?? first(headers, 'fspiop-http-method');
  const path = str(values, 'path') ?? captured?.target ?? first(headers, 'fspiop-uri');
  if (method === undefined) throw new UsageError('--method is required: the headers have no fspiop-http-method');
  if (path === undefined) throw new UsageError('--path is required: the headers have no fspiop-uri');

  const load = await loadPeerKeys(resolve(io.cwd, dir));
  if (load.directoryError !== undefined) throw new UsageError(`--keys ${dir}: ${load.directoryError}`);
  if (values.json !== true) for (const e of load.errors) io.stderr(`warning: key file ${e.file}: ${e.message}\n`);

  const result = verifyRequest({ method, path, headers, body }, load.keySet, createVerifyPolicy(policyOptions));
  const v = verdict(result);
  const requestLine = checkRequestLine ? `${method.toUpperCase()} ${path}` : null;
  if (values.json === true) {
    const keyErrors = load.errors.map((e) => ({ file: e.file, message: e.message }));
    io.stdout(`${JSON.stringify({ ...v.doc, requestLine, ...(keyErrors.length > 0 ? { keyErrors } : {}) }, null, 2)}\n`);
  } else {
    io.stdout(v.line);
    if (v.valid && result.ok && result.verified) {
      io.stdout(requestLine ? `  request line ${requestLine} matches FSPIOP-HTTP-Method and FSPIOP-URI\n` : '  request line not checked (the capture has none: give --request, or --method and --path)\n');
    }
  }
  return v.valid ? EXIT_OK : EXIT_REFUSED;
}

const SUBS = {
  sign: {
    usage: SIGN_USAGE,
    options: {
      key: { type: 'string' },
      source: { type: 'string' },
      destination: { type: 'string' },
      method: { type: 'string' },
      uri: { type: 'string' },
      body: { type: 'string' },
      date: { type: 'string' },
      'no-sign-put-parties': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    run: sign,
  },
  verify: {
    usage: VERIFY_USAGE,
    options: {
      keys: { type: 'string' },
      request: { type: 'string' },
      headers: { type: 'string' },
      body: { type: 'string' },
      method: { type: 'string' },
      path: { type: 'string' },
      'destination-policy': { type: 'string' },
      'put-parties': { type: 'string' },
      algorithms: { type: 'string' },
      'hub-id': { type: 'string' },
      'allow-unsigned-hub': { type: 'boolean' },
      'check-request-line': { type: 'boolean' },
      'ignore-request-line': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    run: verify,
  },
} as const;

export function createJwsCommand(deps: JwsCommandDeps = {}): Command {
  const resolved: Required<JwsCommandDeps> = { readStdin: deps.readStdin ?? readProcessStdin };
  return async function jwsCommand(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout(jwsUsage());
      return EXIT_OK;
    }
    if (name !== 'sign' && name !== 'verify') {
      io.stderr(name === undefined ? jwsUsage() : `dfsp-sidecar jws: unknown subcommand '${name}'\n\n${jwsUsage()}`);
      return EXIT_USAGE;
    }
    const sub = SUBS[name];
    try {
      let values: Values;
      try {
        values = parseArgs({ args: rest, options: sub.options, strict: true, allowPositionals: false }).values as Values;
      } catch (err) {
        throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${sub.usage}`);
      }
      if (values.help === true) {
        io.stdout(sub.usage);
        return EXIT_OK;
      }
      return await sub.run(values, io, resolved);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      io.stderr(`dfsp-sidecar jws ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
  };
}

export const jwsCommand: Command = createJwsCommand();
