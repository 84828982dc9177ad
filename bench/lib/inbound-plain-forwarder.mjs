/**
 * Baseline: a plain Node mTLS forwarder with no allowlist and no JWS, the way one would write it
 * in a few lines: https.createServer(requestCert) + an undici Pool to the core, body buffered,
 * response buffered (perf-baseline.md §4, scenario D).
 * usage: node bench/lib/inbound-plain-forwarder.mjs PORT CORE_PORT CERT KEY CA   (prints "ready PORT PID")
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Pool } from 'undici';

const [port, corePort, certFile, keyFile, caFile] = process.argv.slice(2);
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const strip = (h) => {
  const o = {};
  for (const k in h) if (!HOP.has(k)) o[k] = h[k];
  return o;
};
const pool = new Pool(`http://127.0.0.1:${corePort}`, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true },
  async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    try {
      const r = await pool.request({ method: req.method, path: req.url, headers: strip(req.headers), body: Buffer.concat(chunks) });
      const body = Buffer.from(await r.body.arrayBuffer());
      res.writeHead(r.statusCode, strip(r.headers));
      res.end(body);
    } catch (e) {
      res.writeHead(502);
      res.end(String(e.message));
    }
  },
);
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${server.address().port} ${process.pid}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
