// The multi-core alternative bench/outbound.mjs measures against signing worker threads: a
// node:cluster of N sidecar processes sharing the outbound port, each signing on its own event
// loop (outbound.workers: 0). The primary prints the worker PIDs so the bench can add up the CPU of
// every process. Not the shipped design (one process keeps one token source, one pool set, one
// metrics registry and one reload path); here only to compare throughput per core.
//
// usage: node bench/lib/outbound-cluster.mjs N CONFIG.yaml
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';

const [n, configFile] = [Number(process.argv[2]), process.argv[3]];

if (cluster.isPrimary) {
  const pids = [];
  let listening = 0;
  for (let i = 0; i < n; i++) pids.push(cluster.fork().process.pid);
  // Each worker binds exactly one listener (outbound; inbound and admin are disabled in the config).
  cluster.on('listening', () => {
    if (++listening === n) process.stdout.write(`${JSON.stringify({ pids })}\n`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 1_000).unref();
  });
} else {
  const { dispatch } = await import(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)));
  const { processIo } = await import(fileURLToPath(new URL('../../dist/cli/io.js', import.meta.url)));
  dispatch(['run', '--config', configFile], processIo()).then((code) => process.exit(code));
}
