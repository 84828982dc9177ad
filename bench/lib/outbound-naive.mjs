// The baseline bench/outbound.mjs compares the sidecar against: the straightforward way to write
// an outbound signer in Node (perf-baseline.md §4 scenario E). Plain HTTP in, body parsed and
// re-stringified, RS256 signature with a KeyObject on the event loop, bearer token, undici with
// the mTLS options passed as plain ca/cert/key (no prebuilt SecureContext), response piped back.
// No limits, no error mapping, no metrics: the floor for "sign and forward", not a product.
//
// usage: node bench/lib/outbound-naive.mjs CONFIG.json
//   CONFIG: { port, hubUrl, caPem, certPem, keyPem, jwsKeyPem, token }
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const key = createPrivateKey(cfg.jwsKeyPem);
const agent = new Agent({ connections: 64, connect: { ca: cfg.caPem, cert: cfg.certPem, key: cfg.keyPem } });
const b64u = (s) => Buffer.from(s).toString('base64url');

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const date = new Date().toUTCString();
      const uri = req.url.split('?')[0];
      const ph = b64u(JSON.stringify({ alg: 'RS256', 'FSPIOP-URI': uri, 'FSPIOP-HTTP-Method': req.method, 'FSPIOP-Source': 'dfspa', 'FSPIOP-Destination': req.headers['fspiop-destination'], Date: date }));
      const signature = sign('sha256', Buffer.from(`${ph}.${b64u(body)}`), key).toString('base64url');
      const r = await request(`${cfg.hubUrl}${req.url}`, {
        method: req.method,
        dispatcher: agent,
        body,
        headers: {
          'content-type': req.headers['content-type'],
          date,
          'fspiop-source': 'dfspa',
          'fspiop-destination': req.headers['fspiop-destination'],
          'fspiop-uri': uri,
          'fspiop-http-method': req.method,
          'fspiop-signature': JSON.stringify({ signature, protectedHeader: ph }),
          authorization: `Bearer ${cfg.token}`,
        },
      });
      res.writeHead(r.statusCode, r.headers);
      r.body.pipe(res);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(cfg.port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
