#!/usr/bin/env node
/**
 * dfsp-sidecar command line. `run` (the default) starts the sidecar; the other commands are the
 * operator tools: PKI steps, JWS debugging, config checks and diagnostics.
 */
import { EXIT_USAGE, processIo, UsageError, type Command, type Io } from './cli/io.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'start the sidecar from --config FILE and/or environment variables (--dev: the dev profile)', load: async () => (await import('./cli/run.js')).runCommand },
  'check-config': { summary: 'validate a config and every file it references', load: async () => (await import('./cli/check-config.js')).checkConfigCommand },
  pki: { summary: 'certificate and key steps of joining a hub', load: async () => (await import('./cli/pki/index.js')).pkiCommand },
  jws: { summary: 'sign or verify an FSPIOP request by hand', load: async () => (await import('./cli/jws.js')).jwsCommand },
  onboard: { summary: "exchange certificates, JWS keys and endpoints with the hub's Connection Manager (MCM)", load: async () => (await import('./cli/onboard.js')).onboardCommand },
  doctor: { summary: 'check connectivity to the hub layer by layer', load: async () => (await import('./cli/doctor.js')).doctorCommand },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`);
  return `usage: dfsp-sidecar <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'dfsp-sidecar <command> --help' for a command's options.\n`;
}

export async function dispatch(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (first === '--version') {
    io.stdout(`${(await import('./version.js')).VERSION}\n`);
    return 0;
  }
  // A bare command starts nothing: a server that silently starts (and writes a dev PKI into the
  // current directory) when the operator only wanted to see what the tool does is a surprise.
  if (first === undefined) {
    io.stderr(usage());
    return EXIT_USAGE;
  }
  const name = first.startsWith('-') ? 'run' : first;
  const args = name === first ? rest : argv;
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`dfsp-sidecar: unknown command '${name}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await (await entry.load())(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`dfsp-sidecar ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL((await import('node:fs')).realpathSync(process.argv[1])).href;
if (isMain) {
  // `dfsp-sidecar ... | head` closes the pipe early. Like any Unix tool, stop quietly instead of
  // dying on an unhandled EPIPE with a stack trace; the reader has all it asked for.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
  dispatch(process.argv.slice(2), processIo()).then(
    (code) => {
      // `run` keeps the process alive through its listeners and exits on its own signal handling.
      if (code !== -1) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`dfsp-sidecar: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
