// A trivial mTLS hub and an OAuth token endpoint for bench/outbound.mjs, in their own process so
// their CPU is not the sidecar's. The hub requires a client certificate from the hub CA, reads the
// body and answers 202 with no body (what the Mojaloop hub answers to an FSPIOP request); the token
// endpoint issues one-hour client-credentials tokens. Prints {"hubPort","tokenPort"} once listening.
//
// usage: node bench/lib/outbound-hub.mjs CONFIG.json
//   CONFIG: { certPem, keyPem, caPem }
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const hub = createServer({ cert: cfg.certPem, key: cfg.keyPem, ca: cfg.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  });
});
hub.keepAliveTimeout = 30_000;

let n = 0;
const token = createServer({ cert: cfg.certPem, key: cfg.keyPem }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: `bench-token-${++n}`, token_type: 'Bearer', expires_in: 3600 }));
  });
});

await Promise.all([new Promise((r) => hub.listen(0, '127.0.0.1', r)), new Promise((r) => token.listen(0, '127.0.0.1', r))]);
process.stdout.write(`${JSON.stringify({ hubPort: hub.address().port, tokenPort: token.address().port })}\n`);
process.on('SIGTERM', () => process.exit(0));
