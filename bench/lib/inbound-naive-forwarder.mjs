/**
 * Reference: the naive inbound forwarder of perf-baseline.md §4 (scenario F): the plain forwarder
 * plus a per-request CIDR check and an RS256 verification of the FSPIOP signature over the raw
 * body with a pre-imported KeyObject, written the obvious way (buffered body, buffered response).
 * usage: node bench/lib/inbound-naive-forwarder.mjs PORT CORE_PORT CERT KEY CA PEER_PUB_PEM PEER_ID
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { BlockList } from 'node:net';
import { Pool } from 'undici';

const [port, corePort, certFile, keyFile, caFile, pubFile, peerId] = process.argv.slice(2);
const keys = { [peerId]: createPublicKey(readFileSync(pubFile)) };
const allow = new BlockList();
allow.addSubnet('127.0.0.0', 8, 'ipv4');
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
    const ip = req.socket.remoteAddress.replace(/^::ffff:/, '');
    if (!allow.check(ip, 'ipv4')) {
      res.writeHead(403);
      return res.end();
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    try {
      const { signature, protectedHeader } = JSON.parse(req.headers['fspiop-signature']);
      const ph = JSON.parse(Buffer.from(protectedHeader, 'base64url'));
      const k = keys[req.headers['fspiop-source']];
      if (ph.alg !== 'RS256' || !k || ph['FSPIOP-Source'] !== req.headers['fspiop-source'] || ph['FSPIOP-URI'] !== req.headers['fspiop-uri'] ||
        ph['FSPIOP-HTTP-Method'] !== req.method || ph['FSPIOP-Destination'] !== req.headers['fspiop-destination'] || ph.Date !== req.headers.date) throw new Error('hdr');
      if (!verify('sha256', Buffer.from(`${protectedHeader}.${body.toString('base64url')}`), k, Buffer.from(signature, 'base64url'))) throw new Error('sig');
    } catch (e) {
      res.writeHead(400);
      return res.end(String(e.message));
    }
    try {
      const r = await pool.request({ method: req.method, path: req.url, headers: strip(req.headers), body });
      const out = Buffer.from(await r.body.arrayBuffer());
      res.writeHead(r.statusCode, strip(r.headers));
      res.end(out);
    } catch (e) {
      res.writeHead(502);
      res.end(String(e.message));
    }
  },
);
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${server.address().port} ${process.pid}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
