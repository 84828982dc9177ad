/**
 * Composition root: compile the first snapshot, start the gateways and the admin listener, wire
 * reload and metrics. Everything is passed explicitly; no module reads config on its own.
 */
import type { AddressInfo } from 'node:net';
import { createAdminServer, type AdminServer } from './admin/server.js';
import type { ConfigIssue } from './config/env.js';
import type { LoadResult } from './config/load.js';
import type { SidecarConfig } from './config/schema.js';
import { createInboundGateway } from './inbound/gateway.js';
import { createMetrics, type CommonMetrics } from './metrics/registry.js';
import { startMcmLoop, type McmLoop } from './mcm/loop.js';
import { createMcmMetrics } from './mcm/metrics.js';
import { mcmApiFromConfig, mcmStateStore } from './mcm/setup.js';
import { createOutboundGateway } from './outbound/gateway.js';
import { compileSnapshot, type RuntimeSnapshot } from './runtime/compile.js';
import { createReloader, type Reloader } from './runtime/reload.js';
import type { Gateway, Readiness } from './shared/gateway.js';
import type { Logger } from './shared/log.js';
import { describeListenFailure, preflightPorts, type ListenFailure } from './shared/listen.js';
import { createSnapshotStore, type SnapshotStore } from './shared/state.js';

export class ConfigInvalid extends Error {
  override readonly name = 'ConfigInvalid';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

/** One or more listeners could not bind; none was left running. */
export class ListenFailed extends Error {
  override readonly name = 'ListenFailed';
  constructor(readonly failures: readonly ListenFailure[]) {
    super(failures.map(describeListenFailure).join('; '));
  }
}

export interface StartOptions {
  config: SidecarConfig;
  log: Logger;
  /** Re-reads the config for reloads; defaults to "the same config object". */
  loadConfig?: () => Promise<LoadResult>;
  configFile?: string | undefined;
  metrics?: CommonMetrics;
  /** Extra readiness conditions (the dev profile adds its echo core). */
  extraReadiness?: () => Array<{ name: string } & Readiness>;
}

export interface Sidecar {
  readonly store: SnapshotStore<RuntimeSnapshot>;
  readonly metrics: CommonMetrics;
  readonly reloader: Reloader;
  readonly addresses: { inbound?: AddressInfo | string; outbound?: AddressInfo | string; admin?: AddressInfo };
  readiness(): Array<{ name: string } & Readiness>;
  /** The MCM loop, when mcm.enabled. */
  readonly mcm: McmLoop | undefined;
  /** Stop accepting everywhere, drain in-flight requests until the drain timeout, then close. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

export async function startSidecar(opts: StartOptions): Promise<Sidecar> {
  const { config, log } = opts;
  const compiled = await compileSnapshot(config);
  if (!compiled.ok) throw new ConfigInvalid(compiled.issues);

  const fixedPorts = [
    ...(config.inbound.enabled ? [{ listener: 'inbound', key: 'inbound.port', host: config.inbound.host, port: config.inbound.port }] : []),
    ...(config.outbound.enabled && !config.outbound.socketPath ? [{ listener: 'outbound', key: 'outbound.port', host: config.outbound.host, port: config.outbound.port }] : []),
    ...(config.admin.enabled ? [{ listener: 'admin', key: 'admin.port', host: config.admin.host, port: config.admin.port }] : []),
  ];
  const unavailable = await preflightPorts(fixedPorts);
  if (unavailable.length > 0) {
    throw new ListenFailed(unavailable);
  }

  const metrics = opts.metrics ?? createMetrics();
  const store = createSnapshotStore<RuntimeSnapshot>(compiled.snapshot);
  const publishArtefacts = (s: RuntimeSnapshot) => {
    metrics.artefactExpiry.reset();
    for (const a of s.artefacts) if (a.notAfter) metrics.artefactExpiry.set({ artefact: a.name, fingerprint: a.fingerprint }, Math.floor(a.notAfter.getTime() / 1000));
    metrics.snapshotVersion.set(s.version);
  };
  publishArtefacts(compiled.snapshot);
  metrics.lastReloadSuccess.set(Date.now() / 1000);
  store.onSwap((next) => publishArtefacts(next));

  const deps = { store, metrics, log };
  const gateways: Gateway[] = [];
  if (config.inbound.enabled) gateways.push(createInboundGateway({ ...deps, log: log.child({ listener: 'inbound' }) }));
  if (config.outbound.enabled) gateways.push(createOutboundGateway({ ...deps, log: log.child({ listener: 'outbound' }) }));

  const addresses: Sidecar['addresses'] = {};
  const bound: Gateway[] = [];
  let admin: AdminServer | undefined;
  let draining = false;
  const readiness = () => [
    { name: 'lifecycle', ready: !draining, ...(draining ? { reason: 'draining for shutdown' } : {}) },
    ...gateways.map((g) => ({ name: g.name, ...g.readiness() })),
    ...(opts.extraReadiness?.() ?? []),
  ];

  try {
    for (const g of gateways) {
      const address = await g.listen();
      bound.push(g);
      (addresses as Record<string, AddressInfo | string>)[g.name] = address;
      metrics.listenerUp.set({ listener: g.name }, 1);
    }
    if (config.admin.enabled) {
      admin = createAdminServer({
        host: config.admin.host,
        port: config.admin.port,
        registry: metrics.registry,
        readiness,
        info: () => {
          const s = store.current();
          return { snapshotVersion: s.version, loadedAt: s.loadedAt.toISOString(), uptimeSeconds: Math.round(process.uptime()) };
        },
      });
      addresses.admin = await admin.listen();
      metrics.listenerUp.set({ listener: 'admin' }, 1);
    }
  } catch (err) {
    // Lost a race for a port after the preflight: still all or none.
    await Promise.all(gateways.map((g) => g.close(Date.now())));
    await admin?.close();
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      const which = fixedPorts.find((p) => p.port === e.port) ?? { listener: 'a', key: 'its port', host: e.address ?? '?', port: e.port ?? 0 };
      throw new ListenFailed([{ ...which, code: e.code }]);
    }
    throw err;
  }

  const reloader = createReloader({
    store,
    loadConfig: opts.loadConfig ?? (async () => ({ ok: true, config, file: opts.configFile, fromEnv: [] })),
    configFile: opts.configFile,
    metrics,
    log,
  });
  reloader.start(config.reload.pollIntervalMs);
  const mcm = config.mcm.enabled
    ? startMcmLoop({
        config: () => store.current().config,
        api: (c) => mcmApiFromConfig(c),
        store: mcmStateStore(config),
        log: log.child({ component: 'mcm' }),
        metrics: createMcmMetrics(metrics.registry),
        reloader,
      })
    : undefined;

  let stopping: Promise<void> | undefined;
  return {
    store,
    metrics,
    reloader,
    addresses,
    readiness,
    mcm,
    stop(drainTimeoutMs = config.shutdown.drainTimeoutMs) {
      stopping ??= (async () => {
        reloader.stop();
        // The loop stops scheduling now; a cycle in flight (bounded by mcm.timeoutMs per call)
        // finishes beside the drain instead of delaying it.
        const mcmStopped = mcm?.stop();
        draining = true;
        const deadline = Date.now() + drainTimeoutMs;
        log.info({ drainTimeoutMs }, 'draining: no new connections; waiting for in-flight requests');
        await Promise.all(
          gateways.map(async (g) => {
            await g.close(deadline);
            metrics.listenerUp.set({ listener: g.name }, 0);
          }),
        );
        await admin?.close();
        metrics.listenerUp.set({ listener: 'admin' }, 0);
        await mcmStopped;
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
