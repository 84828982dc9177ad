/**
 * The per-request state of the inbound pipeline. The gateway fills the fixed fields when the
 * request arrives (one snapshot per request, so a request never mixes old and new material);
 * stages fill the rest in order. A stage that needs an earlier stage's field reads it through
 * `need`, so a mis-ordered pipeline fails loudly in tests instead of forwarding half a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FspiopResource } from '../crypto/jws/resource.js';
import type { RuntimeSnapshot } from '../runtime/compile.js';
import type { Logger } from '../shared/log.js';
import type { BaseExchange } from '../shared/pipeline.js';
import { SidecarError } from '../shared/errors.js';
import type { InboundRuntime } from './compile.js';
import type { ConnectionInfo } from './connection.js';

export type EncodingMatched = 'raw' | 'sorted' | 'insertion';

/** What the JWS stage concluded, for the core header, metrics and logs. */
export type JwsVerdict =
  | { readonly outcome: 'verified'; readonly source: string; readonly matched: EncodingMatched; readonly requestLineMismatch?: true }
  | { readonly outcome: 'exempt'; readonly reason: string; readonly failure?: string };

export interface InboundExchange extends BaseExchange {
  readonly snapshot: RuntimeSnapshot;
  readonly rt: InboundRuntime;
  readonly conn: ConnectionInfo;
  readonly proto: 'https' | 'http';
  /** Request method as received. */
  readonly method: string;
  /** Path and query as received. */
  readonly target: string;
  /** The canonical target without inbound.basePath: what FSPIOP-URI names and the core receives (parse-target). */
  path: string | undefined;
  /** The resource named by the path's first segment (parse-target). */
  resource: FspiopResource | undefined;
  /** The exact bytes received. */
  body: Buffer | undefined;
  /**
   * The bytes the core is given: the received ones, or, when only a re-serialisation verified,
   * those re-serialised bytes (verify-jws). Never bytes a signature did not cover.
   */
  forwardBody: Buffer | undefined;
  jws: JwsVerdict | undefined;
  /** The core's status, set when its status line is relayed to the client (0 until then). */
  status: number;
  /** The listener's request timeout struck while the body was still arriving. */
  timedOut: boolean;
}

/**
 * The exchange as a record class: one allocation with a stable shape per request, and the
 * request-scoped child logger created only when something logs (a pino child costs microseconds
 * and most requests never log). A class rather than an object literal because a literal with an
 * accessor is built on V8's slow path, measurably so on this hot path.
 */
export class InboundRequest implements InboundExchange {
  path: string | undefined = undefined;
  resource: FspiopResource | undefined = undefined;
  body: Buffer | undefined = undefined;
  forwardBody: Buffer | undefined = undefined;
  jws: JwsVerdict | undefined = undefined;
  status = 0;
  timedOut = false;
  upstreamNs = 0n;
  readonly method: string;
  readonly target: string;
  #log: Logger | undefined;

  constructor(
    readonly snapshot: RuntimeSnapshot,
    readonly rt: InboundRuntime,
    readonly conn: ConnectionInfo,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly startedAt: bigint,
    readonly proto: 'https' | 'http',
    private readonly baseLog: Logger,
  ) {
    this.method = req.method ?? 'GET';
    this.target = req.url ?? '';
  }

  get log(): Logger {
    this.#log ??= this.baseLog.child({ requestId: this.requestId });
    return this.#log;
  }

  set log(l: Logger) {
    this.#log = l;
  }
}

/** Read a field an earlier stage must have set; a missing one is a wiring bug, answered with 500. */
export function need<T>(value: T | undefined, field: string, stage: string): T {
  if (value === undefined) throw new SidecarError('INTERNAL', 'pipeline_order', `stage '${stage}' needs '${field}', which no earlier stage set`);
  return value;
}
