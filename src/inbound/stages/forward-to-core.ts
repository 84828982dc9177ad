/**
 * forward-to-core: send the verified request to the DFSP core over the keep-alive pool and
 * stream the core's answer back unchanged (status, end-to-end headers, body bytes).
 *
 * Method and the canonical path and query (parse-target: inbound.basePath removed) go behind the
 * core URL's base path; the body is the bytes that verified (verify-jws: the received ones, or the
 * re-serialisation the signature covers), framed by undici with their own Content-Length. Headers
 * are rewritten by forward-headers.ts. This runs on undici's
 * low-level dispatch API: the response is written to the client chunk by chunk as it arrives, with
 * back-pressure (a slow client pauses the core connection), and no intermediate stream or copy
 * (the hot path: see docs/inbound.md).
 *
 * Nothing that failed an earlier stage gets here: stages run in order and a failure stops the
 * pipeline. Once the core's status line has been relayed, a later failure can only cut the
 * connection (runPipeline does that).
 */
import type { Dispatcher } from 'undici';
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { CorePools } from '../core-pool.js';
import type { InboundExchange } from '../exchange.js';
import { need } from '../exchange.js';
import { clientResponseHeaders, coreRequestHeaders } from '../forward-headers.js';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

export function createForwardToCore(pools: CorePools): Stage<InboundExchange> {
  return {
    name: 'forward-to-core',
    run(ex) {
      return forward(ex, pools.get(ex.rt.core));
    },
  };
}

/** The value of the `x-dfsp-sidecar-jws` header for the core. */
export function jwsHeaderValue(ex: InboundExchange): string {
  const v = need(ex.jws, 'jws', 'forward-to-core');
  if (v.outcome === 'verified') return v.requestLineMismatch ? VERIFIED_MISMATCH[v.matched] : VERIFIED[v.matched];
  return v.failure === undefined ? `exempt:${v.reason}` : `exempt:${v.reason}; failure=${v.failure}`;
}

const VERIFIED = { raw: 'verified; matched=raw', sorted: 'verified; matched=sorted', insertion: 'verified; matched=insertion' } as const;
const VERIFIED_MISMATCH = {
  raw: 'verified; matched=raw; request-line=mismatch',
  sorted: 'verified; matched=sorted; request-line=mismatch',
  insertion: 'verified; matched=insertion; request-line=mismatch',
} as const;

function forward(ex: InboundExchange, pool: Dispatcher): Promise<void> {
  const body = need(ex.forwardBody, 'forwardBody', 'forward-to-core');
  const path = need(ex.path, 'path', 'forward-to-core');
  const headers = coreRequestHeaders(ex.req.rawHeaders, {
    forwardAuthorization: ex.rt.forwardAuthorization,
    clientAddress: ex.conn.clientAddress,
    proto: ex.proto,
    requestId: ex.requestId,
    jws: jwsHeaderValue(ex),
    peerCn: ex.conn.peer?.subjectCn,
  });
  return new Promise<void>((resolve, reject) => {
    pool.dispatch(
      {
        path: ex.rt.core.basePath + path,
        method: ex.method,
        headers,
        body: body.length === 0 && BODYLESS.has(ex.method) ? null : body,
      },
      new CoreRelay(ex, resolve, reject),
    );
  });
}

/**
 * Relays the core's response to the client as it arrives (undici's dispatch handler protocol).
 * One object per request with its methods on the prototype, rather than a handler literal with
 * a closure per callback: this runs on every request.
 */
class CoreRelay implements Dispatcher.DispatchHandler {
  private readonly t0 = process.hrtime.bigint();
  private resumeCore: (() => void) | undefined;
  private waiting = false;

  constructor(
    private readonly ex: InboundExchange,
    private readonly done: () => void,
    private readonly fail: (err: Error) => void,
  ) {}

  onConnect(): void {}

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // Informational answers (100 Continue, 103 Early Hints) are the core's business with us.
    if (status < 200) return true;
    this.resumeCore = resume;
    this.ex.status = status;
    const res = this.ex.res;
    if (!res.destroyed) res.writeHead(status, clientResponseHeaders(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.ex.res;
    // A client that went away still lets the core's answer be read to the end, so the core
    // connection stays reusable.
    if (res.destroyed || res.write(chunk)) return true;
    // Back-pressure: a slow client pauses the core connection until its socket drains.
    this.waiting = true;
    res.once('drain', this.unpause);
    res.once('close', this.unpause);
    return false;
  }

  onComplete(): void {
    this.ex.upstreamNs = process.hrtime.bigint() - this.t0;
    this.unpause();
    const res = this.ex.res;
    if (!res.destroyed) res.end();
    this.done();
  }

  onError(err: Error): void {
    this.ex.upstreamNs = process.hrtime.bigint() - this.t0;
    this.unpause();
    this.fail(coreError(err));
  }

  private readonly unpause = (): void => {
    if (!this.waiting) return;
    this.waiting = false;
    this.ex.res.off('drain', this.unpause);
    this.ex.res.off('close', this.unpause);
    this.resumeCore?.();
  };
}

/** Map an undici failure to the catalogue (pure). */
export function coreError(err: Error): SidecarError {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new SidecarError('CORE_TIMEOUT', 'headers_timeout', err.message, { cause: err });
    case 'UND_ERR_BODY_TIMEOUT':
      return new SidecarError('CORE_TIMEOUT', 'body_timeout', err.message, { cause: err });
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new SidecarError('CORE_UNREACHABLE', 'connect_timeout', err.message, { cause: err });
    case 'ECONNREFUSED':
      return new SidecarError('CORE_UNREACHABLE', 'connection_refused', err.message, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SidecarError('CORE_UNREACHABLE', 'dns', err.message, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return new SidecarError('CORE_UNREACHABLE', 'connection_reset', err.message, { cause: err });
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new SidecarError('CORE_UNREACHABLE', 'pool_closed', err.message, { cause: err });
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
      return new SidecarError('INTERNAL', 'core_request_rejected', err.message, { cause: err });
    default:
      if (code?.startsWith('ERR_TLS') || code?.startsWith('ERR_SSL') || code?.includes('CERT')) {
        return new SidecarError('CORE_UNREACHABLE', 'tls', err.message, { cause: err });
      }
      return new SidecarError('CORE_UNREACHABLE', 'other', err.message, { cause: err });
  }
}
