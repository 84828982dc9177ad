/**
 * A small closed-loop HTTP(S) load generator that can present a client certificate (wrk,
 * autocannon and h2load cannot). undici Pool, keep-alive, one request in flight per connection,
 * bounded by time (and optionally by a request count). The warm-up is not recorded.
 *
 * As a module:
 *   import { runLoad } from './mtls-loadgen.mjs';
 *   const r = await runLoad({
 *     url: 'https://127.0.0.1:4000',           // origin; paths come from the request factory
 *     connections: 50, durationMs: 10_000, warmupMs: 1_000, maxRequests: Infinity,
 *     tls: { ca, cert, key, servername },       // PEM strings/Buffers; omit for plain HTTP
 *     request: (i) => ({ method: 'POST', path: '/quotes', headers: {...}, body }),
 *     expectStatus: 200,
 *     dispatcher: pool,                         // optional: reuse open connections (see createLoadPool)
 *   });
 *   // r = { requests, ok, unexpected, errors, firstError, rps, latencyMs: { p50, p90, p99, max, mean }, elapsedMs, cpuUs }
 *
 * From the command line (JSON result on stdout):
 *   node bench/lib/mtls-loadgen.mjs --url https://127.0.0.1:4000/quotes --connections 50 --duration 10 \
 *     [--warmup 1] [--ca F --cert F --key F --servername localhost] [--method POST] [--body FILE] [--header 'k: v']...
 *
 * The client's TLS context is built once (a context per connection costs ~2 ms of CPU) and the
 * requests go through undici's dispatch API with a minimal handler, so the generator spends as
 * little of the shared CPU as it can. To measure a server's steady state, warm up and measure on
 * the same pool (`createLoadPool` + `dispatcher`): a new pool means new TLS handshakes, which
 * cost the server 1–3 ms of CPU each and would be charged to the first requests.
 */
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { Pool } from 'undici';

/** A keep-alive pool for `runLoad({ dispatcher })`; the caller closes it. */
export function createLoadPool(opts) {
  const url = new URL(opts.url);
  const connect = opts.tls
    ? {
        secureContext: createSecureContext({ ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key }),
        servername: opts.tls.servername,
        rejectUnauthorized: opts.tls.rejectUnauthorized ?? true,
      }
    : undefined;
  return new Pool(url.origin, { connections: opts.connections ?? 10, pipelining: 1, keepAliveTimeout: 60_000, connect });
}

export async function runLoad(opts) {
  const url = new URL(opts.url);
  const connections = opts.connections ?? 10;
  const durationMs = opts.durationMs ?? 5_000;
  const warmupMs = opts.warmupMs ?? 0;
  const maxRequests = opts.maxRequests ?? Infinity;
  const expectStatus = opts.expectStatus ?? 200;
  const pool = opts.dispatcher ?? createLoadPool({ url: opts.url, connections, tls: opts.tls });
  const histogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
  const stats = { requests: 0, ok: 0, unexpected: 0, errors: 0, firstError: undefined, statuses: {} };
  let recording = warmupMs === 0;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const start = performance.now();
  const warmEnd = start + warmupMs;
  const deadline = warmEnd + durationMs;
  if (!recording) {
    setTimeout(() => {
      recording = true;
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }, warmupMs).unref();
  }
  let issued = 0;

  const once = (i) =>
    new Promise((resolve) => {
      const spec = opts.request(i);
      const began = process.hrtime.bigint();
      let status = 0;
      pool.dispatch(
        { origin: url.origin, method: spec.method ?? 'GET', path: spec.path ?? url.pathname, headers: spec.headers, body: spec.body ?? null },
        {
          onConnect() {},
          onHeaders(code) {
            status = code;
            return true;
          },
          onData() {
            return true;
          },
          onComplete() {
            if (recording) {
              stats.requests++;
              stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
              if (status === expectStatus) {
                stats.ok++;
                histogram.record(Number(process.hrtime.bigint() - began) || 1);
              } else stats.unexpected++;
            }
            resolve();
          },
          onError(err) {
            if (recording) {
              stats.requests++;
              stats.errors++;
              stats.firstError ??= err.code ?? err.message;
            }
            resolve();
          },
        },
      );
    });

  const loop = async () => {
    while (performance.now() < deadline && issued < maxRequests) await once(issued++);
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (!opts.dispatcher) await pool.close();
  const ms = (ns) => Math.round((ns / 1e6) * 1000) / 1000;
  return {
    ...stats,
    connections,
    rps: Math.round((stats.ok / elapsedMs) * 1000),
    latencyMs: stats.ok > 0 ? { p50: ms(histogram.percentile(50)), p90: ms(histogram.percentile(90)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) } : undefined,
    elapsedMs: Math.round(elapsedMs),
    cpuUs: cpu.user + cpu.system,
  };
}

function parseArgs(argv) {
  const out = { headers: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${a} needs a value`);
      return next;
    };
    if (a === '--url') out.url = v();
    else if (a === '--connections') out.connections = Number(v());
    else if (a === '--duration') out.duration = Number(v());
    else if (a === '--warmup') out.warmup = Number(v());
    else if (a === '--ca') out.ca = readFileSync(v());
    else if (a === '--cert') out.cert = readFileSync(v());
    else if (a === '--key') out.key = readFileSync(v());
    else if (a === '--servername') out.servername = v();
    else if (a === '--method') out.method = v();
    else if (a === '--body') out.body = readFileSync(v());
    else if (a === '--header') {
      const h = v();
      const c = h.indexOf(':');
      if (c < 1) throw new Error(`--header '${h}' is not 'name: value'`);
      out.headers[h.slice(0, c).trim().toLowerCase()] = h.slice(c + 1).trim();
    } else throw new Error(`unknown option ${a}`);
  }
  if (!out.url) throw new Error('--url is required');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`mtls-loadgen: ${err.message}\n`);
    process.exit(2);
  }
  const url = new URL(args.url);
  const result = await runLoad({
    url: url.origin,
    connections: args.connections ?? 10,
    durationMs: (args.duration ?? 5) * 1000,
    warmupMs: (args.warmup ?? 1) * 1000,
    tls: url.protocol === 'https:' ? { ca: args.ca, cert: args.cert, key: args.key, servername: args.servername } : undefined,
    request: () => ({ method: args.method ?? (args.body ? 'POST' : 'GET'), path: url.pathname + url.search, headers: args.headers, body: args.body }),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
