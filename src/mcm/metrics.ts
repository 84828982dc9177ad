/**
 * MCM series: where each step stands and since when it last succeeded, the enrollments, the peer
 * keys and when our certificates renew next. Label values are the closed set of step names and
 * states.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../metrics/registry.js';
import type { CycleReport } from './runner.js';
import type { StepState } from './step.js';

const STATES: readonly StepState[] = ['done', 'waiting', 'failed'];

export interface McmMetrics {
  readonly stepState: Gauge<'step' | 'state'>;
  readonly stepLastSuccess: Gauge<'step'>;
  readonly cycles: Counter<'result'>;
  readonly lastCycle: Gauge;
  readonly enrollments: Gauge<'enrollment' | 'state'>;
  readonly peerKeys: Gauge;
  readonly peerKeysLastChange: Gauge;
  readonly renewal: Gauge<'certificate'>;
  record(report: CycleReport): void;
}

export function createMcmMetrics(registry: Registry): McmMetrics {
  const p = `${METRIC_PREFIX}mcm_`;
  const m = {
    stepState: new Gauge({ name: `${p}step_state`, help: 'MCM step state after the last cycle: 1 for the state the step is in (done, waiting, failed), 0 for the others.', labelNames: ['step', 'state'], registers: [registry] }),
    stepLastSuccess: new Gauge({ name: `${p}step_last_success_timestamp_seconds`, help: 'Unix time each MCM step was last done.', labelNames: ['step'], registers: [registry] }),
    cycles: new Counter({ name: `${p}cycles_total`, help: 'MCM cycles by result: done (every step), waiting (on the hub), failed (a step failed).', labelNames: ['result'], registers: [registry] }),
    lastCycle: new Gauge({ name: `${p}last_cycle_timestamp_seconds`, help: 'Unix time the last MCM cycle ended.', registers: [registry] }),
    enrollments: new Gauge({
      name: `${p}enrollments`,
      help: 'Enrollments by kind (client: our CSR signed by the hub; hub_client: the hub CSRs we sign) and state (waiting, signed, refused).',
      labelNames: ['enrollment', 'state'],
      registers: [registry],
    }),
    peerKeys: new Gauge({ name: `${p}peer_keys`, help: 'Peer JWS keys the last MCM answer listed and we hold.', registers: [registry] }),
    peerKeysLastChange: new Gauge({ name: `${p}peer_keys_last_change_timestamp_seconds`, help: 'Unix time a peer JWS key file was last added, rotated or promoted from MCM.', registers: [registry] }),
    renewal: new Gauge({ name: `${p}renewal_timestamp_seconds`, help: 'Unix time from which our certificate (client, server) is renewed.', labelNames: ['certificate'], registers: [registry] }),
  };
  return {
    ...m,
    record(report) {
      const at = report.at.getTime() / 1000;
      for (const s of report.steps) {
        for (const state of STATES) m.stepState.set({ step: s.name, state }, s.state === state ? 1 : 0);
        if (s.state === 'done') m.stepLastSuccess.set({ step: s.name }, at);
        const f = s.facts ?? {};
        if (f.client_cert_renewal !== undefined) m.renewal.set({ certificate: 'client' }, f.client_cert_renewal);
        if (f.server_cert_renewal !== undefined) m.renewal.set({ certificate: 'server' }, f.server_cert_renewal);
        if (s.name === 'client-cert') {
          m.enrollments.set({ enrollment: 'client', state: 'waiting' }, f.client_enrollment_waiting ?? 0);
          m.enrollments.set({ enrollment: 'client', state: 'signed' }, f.client_enrollment_signed ?? 0);
        }
        if (s.name === 'hub-client-cert') {
          m.enrollments.set({ enrollment: 'hub_client', state: 'signed' }, f.hub_enrollments_signed ?? 0);
          m.enrollments.set({ enrollment: 'hub_client', state: 'refused' }, f.hub_enrollments_refused ?? 0);
        }
        if (f.peer_keys !== undefined) m.peerKeys.set(f.peer_keys);
        if (f.peer_keys_changed !== undefined) m.peerKeysLastChange.set(f.peer_keys_changed);
      }
      m.cycles.inc({ result: report.exitCode === 0 ? 'done' : report.exitCode === 3 ? 'waiting' : 'failed' });
      m.lastCycle.set(at);
    },
  };
}
