/**
 * `npm run bench:mcm`: what the MCM loop costs, against the stand-in MCM of the test suite on
 * loopback: a first onboarding from nothing (key generation dominates), then steady-state cycles
 * (everything current), reporting per cycle the wall time, the CPU time of this process (the
 * stand-in runs in it too, so this is an upper bound for the sidecar's share) and the MCM calls by
 * method. The loop runs once per mcm.pollIntervalSeconds (60 s by default), off the request path.
 *
 *   npm run bench:mcm
 *   BENCH_CYCLES=50 npm run bench:mcm
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../src/config/load.js';
import { runCycle } from '../src/mcm/runner.js';
import { mcmApiFromConfig, mcmStateStore } from '../src/mcm/setup.js';
import { createSilentLogger } from '../src/shared/log.js';
import { DFSP_ID, startMcmWorld } from '../test/helpers/mcm-world.js';

const cycles = Number(process.env.BENCH_CYCLES ?? 30);
const world = await startMcmWorld();
try {
  const env = { DFSP_SIDECAR_MCM__OAUTH__CLIENT_SECRET_FILE: `${world.dir}/mcm-secret` };
  const loaded = await loadConfig({ file: world.configFile, env, cwd: world.dir });
  if (!loaded.ok) throw new Error('config');
  const api = await mcmApiFromConfig(loaded.config);
  const store = mcmStateStore(loaded.config);
  const log = createSilentLogger();
  const measure = async () => {
    const calls = world.mcm.calls.length;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const report = await runCycle({ config: loaded.config, api, store, log });
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const made = world.mcm.calls.slice(calls);
    return { exitCode: report.exitCode, wallMs, cpuMs: (used.user + used.system) / 1000, calls: made.length, byMethod: Object.fromEntries(['GET', 'POST'].map((m) => [m, made.filter((c) => c.method === m).length])) };
  };
  const first = await measure();
  await world.mcm.signInbound(DFSP_ID);
  const second = await measure();
  const steady = [];
  for (let i = 0; i < cycles; i++) steady.push(await measure());
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    node: process.version,
    rsaKeySize: loaded.config.mcm.rsaKeySize,
    first,
    afterHubSigned: second,
    steady: { cycles, wallMsMedian: median(steady.map((s) => s.wallMs)), cpuMsMedian: median(steady.map((s) => s.cpuMs)), calls: steady[0]!.calls, byMethod: steady[0]!.byMethod },
  };
  process.stdout.write(
    [
      `first onboarding (exit ${first.exitCode}): ${first.wallMs.toFixed(0)} ms wall, ${first.cpuMs.toFixed(0)} ms CPU, ${first.calls} MCM calls (incl. token)`,
      `after the hub signed (exit ${second.exitCode}): ${second.wallMs.toFixed(0)} ms wall, ${second.cpuMs.toFixed(0)} ms CPU, ${second.calls} calls`,
      `steady cycle, median of ${cycles}: ${result.steady.wallMsMedian.toFixed(1)} ms wall, ${result.steady.cpuMsMedian.toFixed(1)} ms CPU (MCM stand-in included), ${result.steady.calls} calls (${JSON.stringify(result.steady.byMethod)})`,
      '',
    ].join('\n'),
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/mcm-cycle.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await world.close();
}
