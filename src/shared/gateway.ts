/**
 * What the composition root (src/main.ts) needs from each listener. Both gateways read the runtime
 * snapshot from the store once per connection/request and react to swaps themselves (new TLS
 * context for new connections, new upstream pools for new requests), so a reload never closes an
 * open connection or fails an in-flight request.
 */
import type { AddressInfo } from 'node:net';
import type { CommonMetrics } from '../metrics/registry.js';
import type { RuntimeSnapshot } from '../runtime/compile.js';
import type { Logger } from './log.js';
import type { SnapshotStore } from './state.js';

export interface Readiness {
  ready: boolean;
  /** Why not, for /readyz and logs. */
  reason?: string;
}

export interface Gateway {
  readonly name: string;
  /** Bind and start accepting. Resolves with the bound address (a path for unix sockets). */
  listen(): Promise<AddressInfo | string>;
  readiness(): Readiness;
  /**
   * Graceful stop: stop accepting at once, let in-flight requests finish until `deadline`
   * (epoch ms), then destroy whatever is left. Idle keep-alive connections are closed at once.
   */
  close(deadline: number): Promise<void>;
}

export interface GatewayDeps {
  readonly store: SnapshotStore<RuntimeSnapshot>;
  readonly metrics: CommonMetrics;
  readonly log: Logger;
}
