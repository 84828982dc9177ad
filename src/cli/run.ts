/**
 * `dfsp-sidecar run [--config FILE]`: start every enabled listener and serve until SIGTERM/SIGINT.
 * The config is the file (--config or DFSP_SIDECAR_CONFIG) with environment variables over it, or
 * environment variables alone; either yields a complete config or the list of what is missing.
 * The dev profile (generated PKI under .dev/, all listeners, a local echo core and token endpoint)
 * starts only when asked (--dev) or when nothing at all configures the sidecar: no file and not
 * one DFSP_SIDECAR_* or sdk-scheme-adapter variable. A half-configured production environment
 * must never quietly turn into a dev sidecar.
 *
 * Signals: SIGHUP reloads (a failed reload keeps the running snapshot); SIGTERM/SIGINT drain and
 * exit 0; a second SIGTERM/SIGINT during the drain exits 1 at once.
 */
import { parseArgs } from 'node:util';
import { configuringVariables, sdkVariables } from '../config/env.js';
import { loadConfig } from '../config/load.js';
import { ConfigInvalid, ListenFailed, startSidecar, type Sidecar } from '../main.js';
import { createLogger } from '../shared/log.js';
import { EXIT_USAGE, UsageError, type Command, type Io } from './io.js';
import { describe, serveUntilSignal } from './serve.js';

const HELP = `usage: dfsp-sidecar run [--config FILE] [--dev [--dev-dir DIR] [--port-base N]]

  --config FILE    YAML config (or DFSP_SIDECAR_CONFIG); environment variables override its keys.
                   Without a file, DFSP_SIDECAR_* and sdk-scheme-adapter variables alone configure it.
  --dev            the dev profile (also the default when nothing at all configures the sidecar);
                   it runs its own generated config and ignores configuration variables
  --dev-dir DIR    where the dev profile keeps its PKI and config (default .dev)
  --port-base N    dev profile ports: N inbound, N+1 outbound, N+2 admin, N+3 echo core, N+4 token
                   endpoint (default 4000; 0 picks free ports)
`;

export const runCommand: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        dev: { type: 'boolean' },
        'dev-dir': { type: 'string' },
        'port-base': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const configuring = configuringVariables(io.env);
  const devAsked = values.dev === true || values['dev-dir'] !== undefined || values['port-base'] !== undefined;
  if (devAsked && values.config !== undefined) throw new UsageError('--config and the dev profile options (--dev, --dev-dir, --port-base) exclude each other');
  if (devAsked || (values.config === undefined && configuring.length === 0)) {
    const portBase = values['port-base'] === undefined ? 4000 : Number(values['port-base']);
    if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65530) throw new UsageError(`--port-base: expected a port number, got '${values['port-base']}'`);
    if (configuring.length > 0) io.stderr(`dev profile: ignoring ${configuring.join(', ')} (the dev profile runs its own generated config)\n`);
    const { runDevProfile } = await import('../dev/profile.js');
    return runDevProfile({ io, dir: values['dev-dir'] ?? '.dev', portBase });
  }
  return runWithConfig(io, values.config);
};

async function runWithConfig(io: Io, file: string | undefined): Promise<number> {
  const load = () => loadConfig({ file, env: io.env, cwd: io.cwd });
  const loaded = await load();
  if (!loaded.ok) {
    const source = loaded.file ?? 'environment variables (no --config file, no DFSP_SIDECAR_CONFIG)';
    io.stderr(`dfsp-sidecar: the configuration from ${source} is incomplete or invalid (${loaded.issues.length} problem${loaded.issues.length === 1 ? '' : 's'}):\n`);
    for (const i of loaded.issues) io.stderr(`  ${i.path}: ${i.message}\n`);
    if (loaded.file === undefined && sdkVariables(io.env).length > 0) io.stderr('See README, "Migrating from the sdk-scheme-adapter", for the keys an SDK-only deployment must add.\n');
    if (loaded.file === undefined) {
      io.stderr(`(configured by ${configuringVariables(io.env).join(', ')}; the dev profile starts only when no such variable is set, or with 'dfsp-sidecar run --dev')\n`);
    }
    return EXIT_USAGE;
  }
  const log = createLogger({ level: loaded.config.log.level });
  let sidecar: Sidecar;
  try {
    sidecar = await startSidecar({ config: loaded.config, log, loadConfig: load, configFile: loaded.file });
  } catch (err) {
    if (err instanceof ConfigInvalid) {
      io.stderr(`dfsp-sidecar: cannot start (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n`);
      for (const i of err.issues) io.stderr(`  ${i.path}: ${i.message}\n`);
      if (loaded.config.mcm.enabled && err.issues.some((i) => /file not found/.test(i.message))) {
        io.stderr('The MCM steps create or fetch these files: run dfsp-sidecar onboard (exit 0 when done), then start again.\n');
      }
      return EXIT_USAGE;
    }
    if (err instanceof ListenFailed) {
      // One clean line: the operator needs the port and the key to change, not a stack trace.
      io.stderr(`dfsp-sidecar: cannot start: ${err.message}; no listener was started: change the listener ports in the config or stop what holds them\n`);
      return EXIT_USAGE;
    }
    log.fatal({ err }, 'cannot start');
    log.flush();
    return 1;
  }
  log.info({ addresses: describe(sidecar.addresses), config: loaded.file, fromEnv: loaded.fromEnv }, 'dfsp-sidecar started');
  return serveUntilSignal(sidecar, log, loaded.config.shutdown.drainTimeoutMs);
}
