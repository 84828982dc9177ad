/**
 * The request pipeline: an ordered list of small named stages, declared in one file per direction
 * (src/inbound/pipeline.ts, src/outbound/pipeline.ts). The runner is linear: each stage checks or
 * enriches the exchange and returns; to stop the request it throws a SidecarError; the last stage
 * writes the response. There is no "after" phase, so no stage can forget to call next().
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorInformation, SidecarError } from './errors.js';
import type { Logger } from './log.js';
import { createLogThrottle, type LogThrottle } from './log-throttle.js';

export interface Stage<X> {
  readonly name: string;
  run(exchange: X): void | Promise<void>;
}

export interface BaseExchange {
  readonly requestId: string;
  /** process.hrtime.bigint() when the request arrived. */
  readonly startedAt: bigint;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  log: Logger;
  /** Nanoseconds spent waiting on the upstream (core or hub), so the sidecar's own time can be told apart. */
  upstreamNs: bigint;
}

export interface PipelineHooks<X> {
  /** Called once per stage with its duration; failures are reported with the error. */
  onStage?(exchange: X, stage: string, ns: bigint, error?: SidecarError): void;
  /** Called once per request after the response was written or the request failed. */
  onDone?(exchange: X, error?: SidecarError): void;
}

/** Reuse a caller's x-request-id when it is sane, otherwise mint one. */
export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && given.length > 0 && given.length <= 128 && /^[\x21-\x7e]+$/.test(given)) return given;
  return randomUUID();
}

export async function runPipeline<X extends BaseExchange>(stages: readonly Stage<X>[], exchange: X, hooks: PipelineHooks<X> = {}): Promise<void> {
  let failure: SidecarError | undefined;
  for (const stage of stages) {
    const t0 = process.hrtime.bigint();
    try {
      const r = stage.run(exchange);
      if (r !== undefined) await r;
      hooks.onStage?.(exchange, stage.name, process.hrtime.bigint() - t0);
    } catch (err) {
      failure = toSidecarError(err);
      hooks.onStage?.(exchange, stage.name, process.hrtime.bigint() - t0, failure);
      logRejection(stages, exchange, stage.name, failure);
      sendError(exchange.res, failure, exchange.requestId);
      break;
    }
  }
  hooks.onDone?.(exchange, failure);
}

/** Longest path a rejection line carries: the target is caller-controlled. */
const MAX_LOGGED_PATH = 256;

/**
 * The request path for a log line: without the query (FSPIOP ids live in the path; a query may
 * carry anything, and is the caller's to keep out of our logs) and bounded in length.
 */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}...` : path;
}

/** One throttle per pipeline (so per direction), keyed by code and reason. */
const throttles = new WeakMap<readonly unknown[], LogThrottle>();
const REJECTION_LOG_INTERVAL_MS = 1_000;

/**
 * 'request rejected': every one at debug level; otherwise at most one line per (code, reason) per
 * second, with the number suppressed since the last one. A client repeating a failing request (or
 * a token endpoint outage answering every request TOKEN_UNAVAILABLE) would otherwise write a line
 * per request; the request counters carry the full numbers.
 */
function logRejection<X extends BaseExchange>(stages: readonly Stage<X>[], exchange: X, stage: string, failure: SidecarError): void {
  const level = failure.entry.status >= 500 ? 'error' : 'warn';
  const fields = {
    method: exchange.req.method,
    path: pathOf(exchange.req.url),
    stage,
    code: failure.code,
    reason: failure.reason,
    detail: failure.detail,
    err: failure.code === 'INTERNAL' ? failure.cause : undefined,
  };
  if (exchange.log.isLevelEnabled('debug')) {
    exchange.log[level](fields, 'request rejected');
    return;
  }
  let throttle = throttles.get(stages);
  if (!throttle) throttles.set(stages, (throttle = createLogThrottle(REJECTION_LOG_INTERVAL_MS)));
  const suppressed = throttle(`${failure.code}\0${failure.reason}`);
  if (suppressed !== undefined) exchange.log[level]({ ...fields, suppressed }, 'request rejected');
}

export function toSidecarError(err: unknown): SidecarError {
  if (err instanceof SidecarError) return err;
  return new SidecarError('INTERNAL', 'unexpected', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Answer with the catalogue's FSPIOP body. If the response has already started (a streamed upstream
 * answer failed midway) the only honest signal left is to cut the connection.
 */
export function sendError(res: ServerResponse, err: SidecarError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorInformation(err.code, err.reason));
  res.writeHead(err.entry.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  res.end(body);
}
