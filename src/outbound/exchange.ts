/**
 * The per-request state the outbound stages pass along, and the per-snapshot resources a request
 * holds for its whole life (a "generation"): the compiled runtime, the hub pools and the token
 * provider. A request takes the current generation once when it arrives; a reload swaps in a new
 * generation for new requests while in-flight ones finish on the one they took.
 */
import type { Pool } from 'undici';
import type { BaseExchange } from '../shared/pipeline.js';
import type { OutboundRuntime, Identity } from './compile.js';
import type { Conformed } from './fspiop-headers.js';
import type { HubRequestSpec } from './hub-request.js';
import type { OutboundMetrics } from './metrics.js';
import type { Route, Target, UpstreamSpec } from './routes.js';
import type { Signer } from './signer.js';
import type { TokenProvider } from './token-source.js';

export interface Generation {
  readonly version: number;
  readonly runtime: OutboundRuntime;
  readonly token: TokenProvider | undefined;
  /** The pool for an upstream of this generation's route table. */
  pool(upstream: UpstreamSpec): Pool;
}

/** Long-lived collaborators, the same for every request. */
export interface Services {
  readonly signer: Signer;
  readonly metrics: OutboundMetrics;
}

export interface OutboundExchange extends BaseExchange {
  readonly gen: Generation;
  readonly services: Services;
  /** Upper-case request method. */
  readonly method: string;
  /** Metric label: the FSPIOP resource or `other`. */
  resource: string;
  target: Target | undefined;
  route: Route | undefined;
  identity: Identity | undefined;
  /** FSPIOP headers the core left out, and its Date validated and normalised (stage `headers`). */
  conformed: Conformed | undefined;
  /** The listener's request timeout interrupted the body read (read-body answers REQUEST_TIMEOUT). */
  timedOut: boolean;
  /** The core's body, exactly as received. */
  body: Buffer | undefined;
  /** Bearer token to send (undefined: no Authorization header). */
  token: string | undefined;
  /** What goes to the hub: after signing, nothing may change its body or signed headers. */
  hub: HubRequestSpec | undefined;
  /** Status answered to the core (0 until a response starts). */
  status: number;
}

/** A stage reading a field an earlier stage should have set: a mis-ordered pipeline fails loudly. */
export function need<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`outbound pipeline order: '${field}' is not set yet`);
  return value;
}
