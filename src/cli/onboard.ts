/**
 * `dfsp-sidecar onboard [--config FILE] [--json] [--wait SECONDS] [--rotate-jws-key]`: every MCM
 * step once, in order (src/mcm/steps/index.ts), and each step's state: done, waiting for the hub,
 * or failed and why. With --wait it repeats every mcm.pollIntervalSeconds until everything is done
 * or a step fails, for at most SECONDS (an init container that must not start the sidecar before
 * the hub has signed our certificate). With --until-usable it stops as soon as what `run` would load
 * is in place (the config compiles with the files on disk), whatever the steps say: an init
 * container runs at every pod start, and a pending renewal or an unreachable MCM must not keep a
 * pod with working credentials down.
 *
 * Exit 0: every step done; 1: a step failed; 3: waiting on the hub; 2: config or usage error.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { closeAllTokens } from '../crypto/pkcs11/token.js';
import { errorText } from '../mcm/files.js';
import { runCycle, type CycleReport } from '../mcm/runner.js';
import { compileSnapshot } from '../runtime/compile.js';
import { mcmApiFromConfig, mcmStateStore } from '../mcm/setup.js';
import { createSilentLogger } from '../shared/log.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from './io.js';

const HELP = `usage: dfsp-sidecar onboard [--config FILE] [--json] [--wait SECONDS [--until-usable]] [--rotate-jws-key]

Runs every enabled step of the hub's Connection Manager (MCM) exchange once, in order:
  dfsp-ca          our CA (created when missing) uploaded to MCM
  server-cert      our inbound server certificate, issued by our CA (renewed before expiry)
  hub-ca           the hub CA from MCM into outbound.tls.caFiles[0]
  jws-key          our JWS public key published (key created when missing; rotation)
  endpoints        our egress addresses and callback URL
  hub-client-cert  the hub's client CSRs linted and signed with our CA
  client-cert      our client CSR sent, and once the hub signed it, checked and installed
  peer-keys        peer JWS keys into jws.keysDirectory
  states           the progress report to MCM
Exit 0: all done; 1: a step failed; 3: waiting on the hub; 2: config or usage error.

  --wait SECONDS     repeat every mcm.pollIntervalSeconds until done or failed, at most this long
  --until-usable     with --wait: stop (exit 0) as soon as the credentials in place let the sidecar
                     start, even while a step waits on the hub (a renewal) or fails (MCM unreachable);
                     until then, retry failures too. For an init container that runs at every pod start
  --rotate-jws-key   start a rotation of our JWS key (the old one signs until mcm.jwsKey.switchAfterSeconds)
  --json             one JSON object on stdout
`;

export const onboardCommand: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        wait: { type: 'string' },
        'rotate-jws-key': { type: 'boolean' },
        'until-usable': { type: 'boolean' },
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
  const waitSeconds = values.wait === undefined ? 0 : Number(values.wait);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError(`--wait: expected seconds, got '${values.wait}'`);
  const loaded = await loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  if (!loaded.ok) {
    io.stderr(`dfsp-sidecar onboard: the configuration is incomplete or invalid:\n`);
    for (const i of loaded.issues) io.stderr(`  ${i.path}: ${i.message}\n`);
    return EXIT_USAGE;
  }
  const config = loaded.config;
  if (!config.mcm.enabled) {
    io.stderr('dfsp-sidecar onboard: mcm.enabled is false; set mcm.enabled, mcm.url and the rest of the mcm section (config.example.yaml)\n');
    return EXIT_USAGE;
  }
  let api;
  try {
    api = await mcmApiFromConfig(config);
  } catch (err) {
    io.stderr(`dfsp-sidecar onboard: cannot read mcm.caFiles: ${errorText(err)}\n`);
    return EXIT_USAGE;
  }
  const store = mcmStateStore(config);
  const log = createSilentLogger();
  const deadline = Date.now() + waitSeconds * 1000;
  const untilUsable = values['until-usable'] === true;
  let report: CycleReport;
  let usable: boolean | undefined;
  let rotate = values['rotate-jws-key'] === true;
  try {
    for (;;) {
      report = await runCycle({ config, api, store, log, rotateJwsKey: rotate });
      rotate = false;
      if (untilUsable) {
        // What `run` itself would load: every file present, each certificate with its key, in date.
        usable = (await compileSnapshot(config)).ok;
        if (usable) break;
      } else if (report.exitCode !== 3) {
        break;
      }
      if (Date.now() + config.mcm.pollIntervalSeconds * 1000 > deadline) break;
      // Progress goes to stderr, so stdout stays one JSON document under --json.
      io.stderr(`${report.exitCode === 3 ? 'waiting on the hub' : 'a step failed'}; next attempt in ${config.mcm.pollIntervalSeconds} s\n`);
      await new Promise((r) => setTimeout(r, config.mcm.pollIntervalSeconds * 1000));
    }
  } finally {
    await api.close();
    closeAllTokens();
  }
  print(io, config.dfspId, config.mcm.url!, report, values.json === true, usable);
  return usable === true ? EXIT_OK : report.exitCode;
};

const VERDICT = { 0: 'onboarded: every step is done', 1: 'a step failed', 3: 'waiting on the hub' } as const;

function print(io: Io, dfspId: string, url: string, report: CycleReport, json: boolean, usable: boolean | undefined): void {
  if (json) {
    io.stdout(`${JSON.stringify({ dfspId, mcm: url, at: report.at.toISOString(), exitCode: usable === true ? EXIT_OK : report.exitCode, ...(usable !== undefined ? { usable } : {}), steps: report.steps.map((s) => ({ step: s.name, state: s.state, detail: s.detail })), wrote: report.wrote })}\n`);
    return;
  }
  io.stdout(`onboarding ${dfspId} with ${url}\n`);
  for (const s of report.steps) io.stdout(`  ${s.name.padEnd(16)} ${s.state.padEnd(8)} ${s.detail}\n`);
  if (report.wrote.length > 0) io.stdout(`wrote: ${report.wrote.join(', ')}\n`);
  if (usable === true && report.exitCode !== 0) {
    io.stdout(`${VERDICT[report.exitCode]}, but the credentials in place are usable: the sidecar can start and its MCM loop finishes the rest (exit 0)\n`);
    return;
  }
  io.stdout(`${VERDICT[report.exitCode]} (exit ${report.exitCode})\n`);
}
