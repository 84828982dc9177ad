// The least a Node outbound hop can cost, for bench/outbound.mjs: plain HTTP in, the body read, one
// undici dispatch to the mTLS hub over a prebuilt SecureContext (keep-alive), the answer written
// back. No signing, no token logic, no limits, no metrics, no error mapping: what the sidecar's
// plumbing (its `jws.sign: false` scenario) is compared against.
//
// usage: node bench/lib/outbound-bare-proxy.mjs CONFIG.json
//   CONFIG: { port, hubUrl, caPem, certPem, keyPem }
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createSecureContext } from 'node:tls';
import { Pool } from 'undici';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pool = new Pool(cfg.hubUrl, { connections: 64, connect: { secureContext: createSecureContext({ ca: cfg.caPem, cert: cfg.certPem, key: cfg.keyPem }) } });

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool.dispatch(
      { path: req.url, method: req.method, headers: { 'content-type': req.headers['content-type'], authorization: 'Bearer bench' }, body: Buffer.concat(chunks) },
      {
        onRequestStart() {},
        onResponseStart(_c, status, headers) {
          res.writeHead(status, headers);
        },
        onResponseData(_c, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          res.writeHead(502).end();
        },
      },
    );
  });
});
server.keepAliveTimeout = 30_000;
server.listen(cfg.port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
