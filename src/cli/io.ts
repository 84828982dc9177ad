/**
 * The contract every CLI command follows: it gets argv (after its own name) and an Io, writes to
 * io.stdout/io.stderr, and resolves to an exit code. Commands never call process.exit themselves,
 * so tests run them in-process and the dispatcher owns the exit.
 *
 * Exit codes, for every command: 0 success; 1 refused by policy or verification failed;
 * 2 usage or input error (bad flag, unreadable or unparsable file).
 */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** Thrown for bad flags or unreadable input; the dispatcher prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Command = (argv: string[], io: Io) => Promise<number>;

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}
