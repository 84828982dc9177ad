/**
 * Connection churn for the memory benches: `count` new TLS connections (full handshakes, no
 * session resumption), each sending one request with `Connection: close` and reading the response
 * to its end, `concurrency` at a time. Raw `tls.connect` with one prebuilt client context, so the
 * client spends as little of the shared CPU as it can. Also: RSS and open fds of a process from
 * /proc, and the least-squares slope the reports use.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createSecureContext } from 'node:tls';

/** A client context presenting `cert` (PEM, may hold a chain) and trusting `ca`. */
export function clientContext({ cert, key, ca }) {
  return createSecureContext({ cert, key, ca });
}

/**
 * One connection: handshake, one request, read to the end. Resolves { status, error, complete }:
 * status is the HTTP status read (undefined when none arrived), error the first socket error's
 * code, complete whether the whole body announced by Content-Length arrived (`readAll` only).
 */
export function oneConnection({ port, secureContext, request, host = '127.0.0.1', timeoutMs = 30_000, readAll = false }) {
  return new Promise((resolve) => {
    let head = '';
    let received = 0;
    let error;
    const socket = connect({ host, port, secureContext, servername: 'localhost', rejectUnauthorized: true }, () => {
      if (request !== undefined) socket.write(request);
    });
    const timer = setTimeout(() => {
      error ??= 'CLIENT_TIMEOUT';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (d) => {
      received += d.length;
      if (head.length < 16 || (readAll && head.length < 4096)) head += d.toString('latin1');
    });
    socket.on('error', (e) => (error ??= e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      const headEnd = head.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(head.slice(0, headEnd));
      const complete = headEnd >= 0 && length !== null && received - (headEnd + 4) >= Number(length[1]);
      resolve({ status: m ? Number(m[1]) : undefined, error, complete });
    });
    socket.on('end', () => socket.end());
  });
}

/** `count` connections, `concurrency` at a time; returns counts by status and errors. */
export async function churn({ count, concurrency, ...conn }) {
  const result = { connections: 0, statuses: {}, errors: {} };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const r = await oneConnection(conn);
      result.connections++;
      if (r.status !== undefined) result.statuses[r.status] = (result.statuses[r.status] ?? 0) + 1;
      else result.errors[r.error ?? 'NO_RESPONSE'] = (result.errors[r.error ?? 'NO_RESPONSE'] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return result;
}

/** Resident set size of a process in MB (VmRSS). */
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Open file descriptors of a process. */
export function openFds(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Least-squares slope of ys over xs (same length, at least two points). */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
