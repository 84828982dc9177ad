/**
 * The soak's stand-ins, in one process of their own (so their CPU and memory are not the
 * sidecar's): the DFSP core (plain HTTP), the hub (mTLS, answers 202) and the OAuth token
 * endpoint (HTTPS), plus a control endpoint the soak uses to inject token-endpoint faults.
 *
 * Core faults are chosen by the request path, so the soak knows which requests it injected:
 *   .../fault-reset    the core resets the connection before answering   (sidecar: 502)
 *   .../fault-slow     the core answers after 3 s, past the sidecar's core timeout (sidecar: 504)
 *   .../fault-midway   the core sends 200 and half its body, then resets (client: cut after 200)
 * Token endpoint: `POST /control/token-fault?on=1|0` on the control port makes it answer 503.
 * Tokens live TOKEN_TTL seconds (argument), so refreshes happen during the soak.
 *
 * usage: node bench/lib/soak-peers.mjs CONFIG.json   CONFIG: { certPem, keyPem, caPem, tokenTtl }
 * prints {"corePort","hubPort","tokenPort","controlPort"} once listening.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const REPLY = Buffer.from('{"status":"ok","id":"b51ec534-ee48-4575-b6a9-ead2955b8999"}');

const core = createHttpServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const url = req.url ?? '';
    if (url.includes('fault-reset')) return void req.socket.destroy();
    if (url.includes('fault-slow')) return void setTimeout(() => res.writeHead(200, { 'content-length': REPLY.length }).end(REPLY), 3_000);
    if (url.includes('fault-midway')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
      res.write(REPLY, () => setImmediate(() => req.socket.destroy()));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
    res.end(REPLY);
  });
});
// Short keep-alive on both stand-ins: once the load stops, the sidecar's pooled connections to
// them close within seconds, so its fd count can be checked against where it started.
core.keepAliveTimeout = 5_000;

const hub = createServer({ cert: cfg.certPem, key: cfg.keyPem, ca: cfg.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  });
});
hub.keepAliveTimeout = 5_000;

let tokenFault = false;
let issued = 0;
const token = createServer({ cert: cfg.certPem, key: cfg.keyPem }, (req, res) => {
  req.resume();
  req.on('end', () => {
    if (tokenFault) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":"temporarily_unavailable"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: `soak-token-${++issued}`, token_type: 'Bearer', expires_in: cfg.tokenTtl }));
  });
});

const control = createHttpServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname === '/control/token-fault') tokenFault = u.searchParams.get('on') === '1';
  res.end(JSON.stringify({ tokenFault, issued }));
});

const listen = (s) => new Promise((r) => s.listen(0, '127.0.0.1', r));
await Promise.all([core, hub, token, control].map(listen));
process.stdout.write(`${JSON.stringify({ corePort: core.address().port, hubPort: hub.address().port, tokenPort: token.address().port, controlPort: control.address().port })}\n`);
process.on('SIGTERM', () => process.exit(0));
