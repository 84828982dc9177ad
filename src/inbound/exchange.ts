/**
 * The per-request state of the inbound pipeline. The gateway fills the fixed fields when the
 * request arrives (one snapshot per request, so a request never mixes old and new material);
 * stages fill the rest in order. A stage that needs an earlier stage's field reads it through
 * `need`, so a mis-ordered pipeline fails loudly in tests instead of forwarding half a request.
 */
import type { RuntimeSnapshot } from '../config/compile.js';
import type { FspiopResource } from '../crypto/jws/resource.js';
import type { BaseExchange } from '../shared/pipeline.js';
import { SidecarError } from '../shared/errors.js';
import type { InboundRuntime } from './compile.js';
import type { ConnectionInfo } from './connection.js';

export type EncodingMatched = 'raw' | 'sorted' | 'insertion';

/** What the JWS stage concluded, for the core header, metrics and logs. */
export type JwsVerdict =
  | { readonly outcome: 'verified'; readonly source: string; readonly matched: EncodingMatched }
  | { readonly outcome: 'exempt'; readonly reason: string; readonly failure?: string };

export interface InboundExchange extends BaseExchange {
  readonly snapshot: RuntimeSnapshot;
  readonly rt: InboundRuntime;
  readonly conn: ConnectionInfo;
  readonly proto: 'https' | 'http';
  /** Request method as received. */
  readonly method: string;
  /** Path and query as received (origin-form; checked by parse-target). */
  readonly target: string;
  resource: FspiopResource | undefined;
  /** The exact bytes received; never re-serialised. */
  body: Buffer | undefined;
  jws: JwsVerdict | undefined;
  /** Status answered to the client (the core's, or the catalogue's on failure). */
  status: number;
}

/** Read a field an earlier stage must have set; a missing one is a wiring bug, answered with 500. */
export function need<T>(value: T | undefined, field: string, stage: string): T {
  if (value === undefined) throw new SidecarError('INTERNAL', 'pipeline_order', `stage '${stage}' needs '${field}', which no earlier stage set`);
  return value;
}
