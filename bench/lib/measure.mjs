/**
 * Throughput measurement for micro-benchmarks on a noisy, shared 2-core box (perf-baseline.md:
 * repeats differ by 15–30 %, and other test runs share the cores).
 * - Throughput is operations per CPU-second of this process (process.cpuUsage, user + system,
 *   all threads, so jose's threadpool work counts too). On an idle box that equals ops/s of wall
 *   time; under load it does not drop because another process took the core. Wall-clock ops/s is
 *   recorded alongside.
 * - Cases compared with each other are measured in interleaved rounds (A B C, B C A, ...) and
 *   reported as the median round, so drift hits every case alike and ratios stay meaningful.
 */

/** Runs `fn` (sync, or async with one operation in flight) for about `ms` of wall time. */
export async function opsPerSecond(fn, isAsync, ms) {
  const { perCpuSecond } = await measureOnce(fn, isAsync, ms);
  return perCpuSecond;
}

async function measureOnce(fn, isAsync, ms) {
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(ms * 1e6));
  let elapsed = 0n;
  if (isAsync) {
    do {
      await fn();
      ops++;
      elapsed = process.hrtime.bigint() - start;
    } while (elapsed < budget);
  } else {
    let batch = 1;
    do {
      for (let i = 0; i < batch; i++) fn();
      ops += batch;
      elapsed = process.hrtime.bigint() - start;
      // Grow the batch so the clock read stays negligible against fast operations.
      if (batch < 64) batch *= 2;
    } while (elapsed < budget);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMicros = Math.max(1, cpu.user + cpu.system);
  return { perCpuSecond: (ops * 1e6) / cpuMicros, perWallSecond: (ops * 1e9) / Number(elapsed) };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Measures every case of a group: one warm-up pass, then `rounds` interleaved rounds.
 * cases: Array<{ name, fn, async? }>. Returns Array<{ name, opsPerSec, usPerOp, rounds: number[] }>.
 */
export async function measureGroup(cases, { rounds, ms, warmupMs }) {
  for (const c of cases) await measureOnce(c.fn, c.async === true, warmupMs);
  const samples = cases.map(() => []);
  const wall = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    // Rotate the starting case each round so no case always runs right after a GC-heavy one.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      const m = await measureOnce(cases[i].fn, cases[i].async === true, ms);
      samples[i].push(m.perCpuSecond);
      wall[i].push(m.perWallSecond);
    }
  }
  return cases.map((c, i) => {
    const opsPerSec = median(samples[i]);
    return { name: c.name, opsPerSec, usPerOp: 1e6 / opsPerSec, wallOpsPerSec: median(wall[i]), rounds: samples[i].map((x) => Math.round(x)) };
  });
}
