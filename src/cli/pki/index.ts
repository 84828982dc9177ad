/**
 * `dfsp-sidecar pki <sub>`: the certificate and key steps of joining a hub, for a laptop and for a
 * pipeline. Each subcommand parses its flags, calls the library in src/crypto/pki, writes files
 * with writeFilesSafe (atomic, 0600 keys, no overwrite without --force) and prints either text or,
 * with --json, one JSON document on stdout.
 *
 * Exit codes (src/cli/io.ts): 0 done; 1 refused by policy or a verification failed; 2 usage or
 * input error. Errors are caught here and printed as one line (or a JSON error document): bad input
 * never reaches the dispatcher's stack-trace path.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { PkiPolicyError, formatViolations, isPkiError } from '../../crypto/pki/index.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type Command, type Io } from '../io.js';
import { printJson, type Ctx, type PkiDeps, type Sub, type Values } from './args.js';
import { csr } from './csr.js';
import { initCa } from './init-ca.js';
import { inspectSub } from './inspect.js';
import { jwsKeys } from './jws-keys.js';
import { kit } from './kit.js';
import { crlSub, revokeSub } from './revoke.js';
import { serverCert } from './server-cert.js';
import { signCsrSub } from './sign-csr.js';

export type { PkiDeps } from './args.js';

const SUBS: Record<string, Sub> = {
  'init-ca': initCa,
  'server-cert': serverCert,
  csr,
  'sign-csr': signCsrSub,
  'jws-keys': jwsKeys,
  inspect: inspectSub,
  kit,
  revoke: revokeSub,
  crl: crlSub,
};

export function pkiUsage(): string {
  const lines = Object.entries(SUBS).map(([name, s]) => `  ${name.padEnd(14)}${s.summary}`);
  return (
    `usage: dfsp-sidecar pki <subcommand> [options]\n\nsubcommands:\n${lines.join('\n')}\n\n` +
    `'dfsp-sidecar pki <subcommand> --help' for its options. Every subcommand takes --json.\n` +
    `Exit codes: 0 done, 1 refused by policy or verification failed, 2 usage or input error.\n`
  );
}

/** Which errors are the user's (printed as one line, exit 1 or 2) and which are bugs (rethrown). */
function errorKind(err: unknown): { kind: string; exit: number } | undefined {
  if (err instanceof UsageError) return { kind: 'usage', exit: EXIT_USAGE };
  if (err instanceof PkiPolicyError) return { kind: 'policy', exit: EXIT_REFUSED };
  if (isPkiError(err)) return err.name === 'PkiVerificationError' ? { kind: 'verification', exit: EXIT_REFUSED } : { kind: 'input', exit: EXIT_USAGE };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { kind: 'input', exit: EXIT_USAGE };
  return undefined;
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // A filesystem error while writing outputs: name the path and the reason, not a stack.
  if (e.code && e.path && !isPkiError(err)) return `cannot write ${e.path}: ${e.code}`;
  return e.message;
}

async function ttyPrompt(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export function createPkiCommand(deps: PkiDeps = {}): Command {
  const resolved: Required<PkiDeps> = { prompt: deps.prompt ?? ttyPrompt };
  return async function pkiCommand(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.stderr(pkiUsage());
      return EXIT_USAGE;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout(pkiUsage());
      return EXIT_OK;
    }
    const sub = SUBS[name];
    if (!sub) {
      io.stderr(`dfsp-sidecar pki: unknown subcommand '${name}'\n\n${pkiUsage()}`);
      return EXIT_USAGE;
    }
    const json = rest.includes('--json');
    const ctx: Ctx = { io, json, deps: resolved, path: (p) => resolve(io.cwd, p) };
    try {
      let parsed: { values: Values; positionals: string[] };
      try {
        parsed = parseArgs({ args: rest, options: sub.options, strict: true, allowPositionals: sub.positionals === true }) as {
          values: Values;
          positionals: string[];
        };
      } catch (err) {
        throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${sub.usage}`);
      }
      if (parsed.values.help === true) {
        io.stdout(sub.usage);
        return EXIT_OK;
      }
      return await sub.run(parsed.values, parsed.positionals, ctx);
    } catch (err) {
      const kind = errorKind(err);
      if (!kind) throw err;
      const message = describeError(err);
      if (json) {
        const violations = err instanceof PkiPolicyError ? { violations: err.violations } : {};
        printJson(io, { ok: false, command: name, error: { kind: kind.kind, message: message.split('\n\n')[0], ...violations } });
      }
      io.stderr(`dfsp-sidecar pki ${name}: ${message}\n`);
      if (err instanceof PkiPolicyError && !json) io.stderr(formatViolations(err.violations));
      return kind.exit;
    }
  };
}

export const pkiCommand: Command = createPkiCommand();
