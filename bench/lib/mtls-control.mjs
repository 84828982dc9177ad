/**
 * The same-run control for the memory benches: a bare Node https server with requestCert and
 * the same certificates, answering every request 200 with a short body. Whatever memory the
 * TLS stack itself keeps per connection shows here too; what shows only in the sidecar is ours.
 *
 * MODE `peer-x509` makes the control also read the client certificate the way the sidecar once
 * did (tlsSocket.getPeerX509Certificate() on every secure connection): the bisection probe that
 * shows the per-connection retention is Node's, and where.
 * usage: node bench/lib/mtls-control.mjs PORT CERT KEY CA [bare|peer-x509]   (prints "ready PORT PID")
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, certFile, keyFile, caFile, mode = 'bare'] = process.argv.slice(2);
const REPLY = Buffer.from('{"status":"ok"}');
const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true },
  (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
      res.end(REPLY);
    });
  },
);
if (mode === 'peer-x509') server.prependListener('secureConnection', (socket) => void socket.getPeerX509Certificate()?.fingerprint256);
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${server.address().port} ${process.pid}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
