/** One-off HTTPS requests over a fresh mTLS connection (no agent: every call is a new handshake). */
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export interface MtlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerFingerprint256: string;
}

export function mtlsRequest(opts: {
  port: number;
  path: string;
  method?: string;
  ca: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  localAddress?: string;
}): Promise<MtlsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: opts.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers: opts.headers,
        agent: false,
        localAddress: opts.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as TLSSocket).getPeerCertificate() as PeerCertificate;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peerFingerprint256: peer.fingerprint256 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
