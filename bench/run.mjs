#!/usr/bin/env node
/**
 * `npm run bench`: every scenario, one after the other (they would compete for the two cores if run
 * together): the JWS engine micro-benchmarks, then inbound end to end, inbound under mixed load
 * (large bodies that do not verify beside small valid ones), and outbound end to end. Each script
 * measures its own baselines in the same run and writes JSON to bench/results/.
 * Environment variables (BENCH_SECONDS, BENCH_ROUNDS, ...) pass through to every scenario.
 *
 *   npm run bench
 *   BENCH_SECONDS=2 BENCH_ROUNDS=1 npm run bench     # a quick pass
 *   BENCH_SCENARIOS=inbound npm run bench            # a subset: jws, inbound, inbound-mixed, outbound
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const all = ['jws', 'inbound', 'inbound-mixed', 'outbound'];
const chosen = (process.env.BENCH_SCENARIOS ?? all.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const unknown = chosen.filter((s) => !all.includes(s));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; choose from ${all.join(', ')}\n`);
  process.exit(2);
}

let failed = 0;
for (const name of chosen) {
  const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  process.stdout.write(`\n=== bench: ${name} ===\n`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`bench ${name} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
