/**
 * Tools for the adversarial suite (test/security/): the attacker holds a valid hub client
 * certificate and writes whatever bytes it likes on an mTLS connection; the core stand-in records
 * every request it receives. `signedFor` signs like a legitimate peer (our own signer, which the
 * SDK validators accept), so an attack can replay or tamper with a genuinely signed message.
 *
 * `checkCoreHit` is the suite's oracle for the inbound invariant, written independently of the
 * sidecar's engine with node:crypto alone: every request the core received either carries a
 * signature that covers exactly the body bytes the core got, made for the method and path the
 * core got (after the core URL's base path), or is an exempt request without a body, or is a
 * PUT /parties the configured policy lets through unsigned (`verifyPutParties: if-signed`).
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { loadSigningKey, signRequest } from '../../src/crypto/jws/index.js';
import type { CoreHit } from './inbound-core.js';
import type { InboundHarness } from './inbound-harness.js';

export interface RawResponse {
  /** 0 when no status line came back. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The connection was closed by the server (or errored) before the client gave up. */
  readonly closed: boolean;
  readonly error: string | undefined;
}

/**
 * Write raw bytes on a fresh mTLS connection with the hub's client certificate and read one
 * HTTP response (by Content-Length), or whatever arrives until the server closes or `waitMs`.
 */
export function rawExchange(h: InboundHarness, bytes: Buffer | string, opts: { waitMs?: number; end?: boolean; head?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    let error: string | undefined;
    const s = tlsConnect({ host: '127.0.0.1', port: h.port, ca: h.pki.dfspCa.certPem, cert: h.pki.client.chainPem, key: h.pki.client.keyPem, servername: 'localhost' });
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), closed, error });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 5_000);
    s.on('secureConnect', () => {
      s.write(bytes);
      if (opts.end) s.end();
    });
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      const r = parseResponse(Buffer.concat(chunks));
      if (r.complete || (opts.head && r.status > 0)) finish(false);
    });
    s.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
      finish(true);
    });
    s.on('close', () => finish(true));
  });
}

function parseResponse(buf: Buffer): { status: number; headers: Record<string, string>; body: string; complete: boolean } {
  // Interim answers (100 Continue) come before the real one: skip them.
  while (/^HTTP\/1\.[01] 1\d\d /.test(buf.subarray(0, 13).toString('latin1'))) {
    const end = buf.indexOf('\r\n\r\n');
    if (end === -1) return { status: 0, headers: {}, body: '', complete: false };
    buf = buf.subarray(end + 4);
  }
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, headers: {}, body: '', complete: false };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? NaN);
  const raw = buf.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const decoded = dechunk(raw);
    return { status, headers, body: decoded?.toString('utf8') ?? '', complete: decoded !== undefined };
  }
  const complete = Number.isFinite(length) ? raw.length >= length : status === 204 || status === 304;
  return { status, headers, body: raw.toString('utf8'), complete };
}

/** A complete chunked body, or undefined while the last chunk has not arrived. */
function dechunk(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < eol + 2 + size + 2) return undefined;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** An HTTP/1.1 request as bytes: headers in the order given, Content-Length unless told otherwise. */
export function httpRequest(method: string, target: string, headers: Array<[string, string]>, body?: Buffer | string, opts: { contentLength?: boolean } = {}): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${target} HTTP/1.1`, 'host: 127.0.0.1', ...headers.map(([n, v]) => `${n}: ${v}`)];
  if (opts.contentLength !== false && (b.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH')) lines.push(`content-length: ${b.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
}

export interface SignedMessage {
  readonly headers: Array<[string, string]>;
  /** The bytes the signature covers. */
  readonly body: Buffer;
}

/** Sign `body` for `method path` as `source` with `privatePem`, as a legitimate peer would. */
export function signedFor(privatePem: string, source: string, method: string, path: string, body: Buffer | string, destination = 'dfspa'): SignedMessage {
  const resource = /^\/([A-Za-z]+)/.exec(path)?.[1] ?? 'parties';
  const out = signRequest({
    method,
    path,
    headers: { date: new Date().toUTCString() },
    destination,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    source,
    key: loadSigningKey(privatePem),
  });
  const headers: Array<[string, string]> = [['content-type', `application/vnd.interoperability.${resource}+json;version=1.1`], ['accept', `application/vnd.interoperability.${resource}+json;version=1.1`]];
  for (const [n, v] of Object.entries(out.headers)) if (typeof v === 'string' && n !== 'content-length') headers.push([n, v]);
  return { headers, body: out.body ?? Buffer.from(body) };
}

/**
 * A peer's signature over exactly `signedBytes` (RS256), made by hand: the protected header a
 * Mojaloop signer writes, and the signature over `base64url(header).base64url(bytes)`.
 */
export function signedOver(privatePem: string, source: string, method: string, uri: string, signedBytes: Buffer): Array<[string, string]> {
  const date = new Date().toUTCString();
  const ph = Buffer.from(JSON.stringify({ alg: 'RS256', 'FSPIOP-URI': uri, 'FSPIOP-HTTP-Method': method, 'FSPIOP-Source': source, 'FSPIOP-Destination': 'dfspa', Date: date })).toString('base64url');
  const signature = cryptoSign('sha256', Buffer.from(`${ph}.${signedBytes.toString('base64url')}`), createPrivateKey(privatePem)).toString('base64url');
  return [
    ['content-type', 'application/vnd.interoperability.transfers+json;version=1.1'],
    ['date', date],
    ['fspiop-source', source],
    ['fspiop-destination', 'dfspa'],
    ['fspiop-uri', uri],
    ['fspiop-http-method', method],
    ['fspiop-signature', JSON.stringify({ signature, protectedHeader: ph })],
  ];
}

const UNSIGNED = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * The invariant, for one request the core received: undefined when it holds, else what broke.
 * `publicPems` maps FSPIOP-Source to its public key(s); `coreBase` is the core URL's path.
 */
export function checkCoreHit(hit: CoreHit, publicPems: Record<string, string[]>, coreBase = ''): string | undefined {
  const jws = String(hit.headers['x-dfsp-sidecar-jws'] ?? '');
  const path = hit.url.startsWith(coreBase) ? hit.url.slice(coreBase.length) : hit.url;
  if (jws.startsWith('verified')) {
    const sigHeader = hit.headers['fspiop-signature'];
    const source = hit.headers['fspiop-source'];
    if (typeof sigHeader !== 'string' || typeof source !== 'string') return `verified but no single signature/source header reached the core (${hit.method} ${hit.url})`;
    let parsed: { signature: string; protectedHeader: string };
    try {
      parsed = JSON.parse(sigHeader) as typeof parsed;
    } catch {
      return 'verified but the core got an unparsable FSPIOP-Signature';
    }
    const ph = JSON.parse(Buffer.from(parsed.protectedHeader, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (ph['FSPIOP-HTTP-Method'] !== hit.method) return `signed for method ${String(ph['FSPIOP-HTTP-Method'])}, core got ${hit.method}`;
    const uri = String(ph['FSPIOP-URI']);
    const pingAuthority = uri.startsWith('//') && uri.slice(uri.indexOf('/', 2)) === path && path.startsWith('/ping/');
    if (uri !== path && !pingAuthority) return `signed for ${uri}, core got ${path}`;
    const input = Buffer.from(`${parsed.protectedHeader}.${hit.body.toString('base64url')}`);
    const alg = ph.alg;
    const ok = (publicPems[source] ?? []).some((pem) => {
      const key = createPublicKey(pem);
      try {
        return alg === 'ES256' ? cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(parsed.signature, 'base64url')) : cryptoVerify('sha256', input, key, Buffer.from(parsed.signature, 'base64url'));
      } catch {
        return false;
      }
    });
    return ok ? undefined : `verified but the signature does not cover the ${hit.body.length} bytes the core got (${hit.method} ${path})`;
  }
  if (jws.startsWith('exempt:put-parties')) {
    if (hit.method !== 'PUT' || !/^\/parties(\/|\?|$)/.test(path)) return `exempt as PUT /parties but the core got ${hit.method} ${path}`;
    return undefined;
  }
  if (jws.startsWith('exempt:')) {
    if (hit.body.length > 0) return `${jws} request reached the core with a ${hit.body.length}-byte body (${hit.method} ${path})`;
    if (!UNSIGNED.has(hit.method) && !jws.startsWith('exempt:ping')) return `${jws} for ${hit.method}`;
    return undefined;
  }
  return `the core got a request without the sidecar's verdict header (${hit.method} ${hit.url})`;
}

/** Peer public keys of the standard harness, for checkCoreHit. */
export function harnessPeerKeys(h: InboundHarness): Record<string, string[]> {
  return { payerfsp: [h.pki.payerJws.publicPem], payeefsp: [h.pki.payeeJwsEc.publicPem] };
}
