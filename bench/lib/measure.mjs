/**
 * Throughput measurement for micro-benchmarks on a noisy, shared 2-core box (perf-baseline.md:
 * repeats differ by 15–30 %, and other test and bench runs share the cores).
 * - Throughput is operations per CPU-second of this process (process.cpuUsage: user + system, all
 *   threads, so jose's threadpool work counts too). On an idle box that equals ops/s of wall time;
 *   under load it does not drop because another process took the core. Wall-clock ops/s is
 *   recorded alongside.
 * - Cases compared with each other are interleaved finely: each round cycles through the cases in
 *   batches of about one millisecond, so every case sees the same contention, frequency and cache
 *   state.
 * - Two estimates per case: `usPerOp`, the 10th percentile of per-batch CPU µs/op (interference
 *   from other processes only ever adds time, so a low percentile approaches the undisturbed cost
 *   and is the steadier basis for ratios); and `medianOpsPerSec`, the median round's throughput.
 */

const BATCH_TARGET_US = 1000;

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
}

async function runBatch(c, n) {
  if (c.async) {
    for (let i = 0; i < n; i++) await c.fn();
  } else {
    for (let i = 0; i < n; i++) c.fn();
  }
}

/** Calls `fn` for about `ms` to warm it up and returns its wall time per operation, in µs. */
async function calibrate(c, ms) {
  let ops = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    await runBatch(c, batch);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e3;
    if (batch < 256) batch *= 2;
  } while (elapsed < ms * 1000);
  return elapsed / ops;
}

/**
 * Measures every case of a group. cases: Array<{ name, fn, async? }>. Returns, per case,
 * { name, usPerOp (p10 CPU µs/op), opsPerSec (1e6 / usPerOp), medianOpsPerSec, wallOpsPerSec,
 *   batches, rounds: number[] } with throughput per CPU-second.
 */
export async function measureGroup(cases, { rounds, ms, warmupMs }) {
  const batches = [];
  for (const c of cases) batches.push(Math.max(1, Math.round(BATCH_TARGET_US / (await calibrate(c, warmupMs)))));
  const perRound = [];
  const perBatch = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const ops = cases.map(() => 0);
    const cpu = cases.map(() => 0);
    const wall = cases.map(() => 0);
    const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6 * cases.length));
    let turn = r;
    while (process.hrtime.bigint() < end) {
      // Rotate the starting case so no case always follows the same (GC-heavy) one.
      for (let k = 0; k < cases.length; k++) {
        const i = (k + turn) % cases.length;
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await runBatch(cases[i], batches[i]);
        const t = process.hrtime.bigint();
        const c = process.cpuUsage(c0);
        ops[i] += batches[i];
        cpu[i] += c.user + c.system;
        wall[i] += Number(t - t0) / 1e3;
        perBatch[i].push((c.user + c.system) / batches[i]);
      }
      turn++;
    }
    perRound.push(cases.map((_, i) => ({ cpu: (ops[i] * 1e6) / Math.max(1, cpu[i]), wall: (ops[i] * 1e6) / Math.max(1, wall[i]) })));
  }
  return cases.map((c, i) => {
    const samples = perRound.map((round) => round[i].cpu);
    const usPerOp = percentile(perBatch[i], 0.1);
    return {
      name: c.name,
      usPerOp,
      opsPerSec: 1e6 / usPerOp,
      medianOpsPerSec: median(samples),
      wallOpsPerSec: median(perRound.map((round) => round[i].wall)),
      batches: perBatch[i].length,
      rounds: samples.map((x) => Math.round(x)),
    };
  });
}
