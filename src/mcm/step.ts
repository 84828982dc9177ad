/**
 * One MCM step: a named, idempotent action with the steps it needs done first. Each run answers
 * with a state (done, waiting for the hub, failed) and a one-line detail for the operator; files
 * it wrote are listed so the caller can reload the gateways once per cycle.
 */
import type { SidecarConfig } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import type { McmApi } from './api.js';
import type { McmState, McmStateStore } from './state-file.js';

export type StepName = 'dfsp-ca' | 'server-cert' | 'hub-ca' | 'jws-key' | 'client-cert' | 'hub-client-cert' | 'peer-keys' | 'endpoints' | 'states';

export type StepState = 'done' | 'waiting' | 'failed';

export interface StepOutcome {
  readonly state: StepState;
  readonly detail: string;
  /** Files written by this run. */
  readonly wrote?: readonly string[];
  /** Numbers for metrics, by name (enrollment states, peer key count, next renewal). */
  readonly facts?: Readonly<Record<string, number>>;
}

export interface StepContext {
  readonly config: SidecarConfig;
  readonly api: McmApi;
  readonly store: McmStateStore;
  /** The persisted state, loaded once per cycle; steps mutate it and the runner saves it. */
  readonly state: McmState;
  readonly now: () => Date;
  readonly log: Logger;
  /** Outcomes of the steps already run in this cycle. */
  readonly results: ReadonlyMap<StepName, StepOutcome>;
  /** Operator asked for a JWS key rotation now (onboard --rotate-jws-key). */
  readonly rotateJwsKey: boolean;
}

export interface Step {
  readonly name: StepName;
  /** The key MCM's POST /dfsps/{id}/states knows this step by (mcm-api.md §7.12). */
  readonly mcmKey: string;
  readonly enabled: (config: SidecarConfig) => boolean;
  /** Steps that must be done before this one runs. */
  readonly after: readonly StepName[];
  run(ctx: StepContext): Promise<StepOutcome>;
}

export const done = (detail: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ state: 'done', detail, ...extra });
export const waiting = (detail: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ state: 'waiting', detail, ...extra });
export const failed = (detail: string, extra: Partial<StepOutcome> = {}): StepOutcome => ({ state: 'failed', detail, ...extra });
