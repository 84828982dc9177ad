/**
 * Runs the built sidecar (dist/cli.js, the same command as the README and the Dockerfile) as a
 * child process, on the Node that runs the tests, and collects its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface SidecarProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `predicate(stdout)` holds; rejects if the process exits first or after `ms`. */
  waitFor(predicate: (stdout: string) => boolean, ms?: number): Promise<void>;
  /** Parsed JSON log lines from stdout. */
  logs(): Array<Record<string, unknown>>;
  signal(sig: NodeJS.Signals): void;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

export function startSidecarProcess(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SidecarProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    async waitFor(predicate, ms = 20_000) {
      const deadline = Date.now() + ms;
      let exited = false;
      void exit.then(() => (exited = true));
      while (!predicate(out)) {
        if (exited) throw new Error(`sidecar exited before the condition held\nstdout:\n${out}\nstderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signal: (sig) => child.kill(sig),
    exited: () => exit,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
