/**
 * The bench's trivial DFSP core: plain HTTP on 127.0.0.1, reads the body, answers 200 with a
 * 60-byte JSON. Run as its own process so its CPU is not counted against the proxy under test.
 * usage: node bench/lib/inbound-core.mjs PORT   (prints "ready PORT PID")
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const REPLY = Buffer.from('{"status":"ok","id":"b51ec534-ee48-4575-b6a9-ead2955b8999"}');
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': REPLY.length });
    res.end(REPLY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port} ${process.pid}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
