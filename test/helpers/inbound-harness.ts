/**
 * Runs the inbound gateway in-process the way the sidecar does: config through the real schema,
 * files on disk, a snapshot from compileSnapshot in a real store, real metrics, a core stand-in,
 * the gateway listening on 127.0.0.1. Reloads go through `store.reload(() => compileSnapshot(...))`
 * exactly as the reloader does. Logs are captured as parsed JSON lines.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSnapshot, type RuntimeSnapshot } from '../../src/runtime/compile.js';
import { configSchema } from '../../src/config/schema.js';
import { createInboundGateway } from '../../src/inbound/gateway.js';
import { createMetrics, type CommonMetrics } from '../../src/metrics/registry.js';
import type { Gateway } from '../../src/shared/gateway.js';
import { createLogger } from '../../src/shared/log.js';
import { createSnapshotStore, type ReloadOutcome, type SnapshotStore } from '../../src/shared/state.js';
import { startCore, type CoreStandIn } from './inbound-core.js';
import { inboundPki, type InboundPki } from './inbound-pki.js';

export type RawConfig = Record<string, any>;

export interface HarnessFiles {
  readonly serverCert: string;
  readonly serverKey: string;
  readonly hubCa: string;
  readonly crl: string;
  readonly peers: string;
}

export interface InboundHarness {
  readonly pki: InboundPki;
  readonly dir: string;
  readonly files: HarnessFiles;
  readonly core: CoreStandIn;
  readonly port: number;
  readonly store: SnapshotStore<RuntimeSnapshot>;
  readonly metrics: CommonMetrics;
  readonly gateway: Gateway;
  readonly logs: Array<Record<string, unknown>>;
  /** The raw config currently applied (a copy: mutate it through reload()). */
  raw(): RawConfig;
  /** Apply `mutate` to a copy of the raw config and reload through the store. */
  reload(mutate?: (raw: RawConfig) => void): Promise<ReloadOutcome<RuntimeSnapshot>>;
  /** Sum of the samples of a metric whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Change the raw config before the first compile (paths in `files` are already set). */
  configure?: (raw: RawConfig, files: HarnessFiles) => void;
  core?: CoreStandIn;
  /** Peer key files to write: name → PEM (default payerfsp RSA and payeefsp P-256). */
  peers?: Record<string, string>;
}

export async function startInboundHarness(opts: HarnessOptions = {}): Promise<InboundHarness> {
  const pki = await inboundPki();
  const dir = mkdtempSync(join(tmpdir(), 'inbound-'));
  const files: HarnessFiles = {
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    hubCa: join(dir, 'hub-ca.pem'),
    crl: join(dir, 'hub.crl.pem'),
    peers: join(dir, 'peers'),
  };
  mkdirSync(files.peers);
  writeFileSync(files.serverCert, pki.server.chainPem);
  writeFileSync(files.serverKey, pki.server.keyPem, { mode: 0o600 });
  writeFileSync(files.hubCa, pki.hubCa.certPem);
  writeFileSync(files.crl, pki.crlPem);
  const peers = opts.peers ?? { payerfsp: pki.payerJws.publicPem, payeefsp: pki.payeeJwsEc.publicPem };
  for (const [name, pem] of Object.entries(peers)) writeFileSync(join(files.peers, `${name}.pem`), pem);

  const core = opts.core ?? (await startCore());
  let raw: RawConfig = {
    dfspId: 'dfspa',
    log: { level: 'debug' },
    admin: { enabled: false },
    reload: { pollIntervalMs: 0 },
    jws: { keysDirectory: files.peers },
    inbound: {
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: files.serverCert, keyFile: files.serverKey, caFiles: [files.hubCa] },
      allowlist: ['127.0.0.1/32'],
      core: { url: core.url, timeoutMs: 5_000 },
    },
    outbound: { enabled: false },
  };
  opts.configure?.(raw, files);

  const first = await compileSnapshot(configSchema.parse(raw));
  if (!first.ok) throw new Error(`harness config does not compile: ${first.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const store = createSnapshotStore<RuntimeSnapshot>(first.snapshot);
  const metrics = createMetrics({ defaultMetrics: false });
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const gateway = createInboundGateway({ store, metrics, log });
  const address = (await gateway.listen()) as AddressInfo;

  return {
    pki,
    dir,
    files,
    core,
    port: address.port,
    store,
    metrics,
    gateway,
    logs,
    raw: () => structuredClone(raw),
    async reload(mutate) {
      const next = structuredClone(raw);
      mutate?.(next);
      const outcome = await store.reload(async (previous) => {
        const compiled = await compileSnapshot(configSchema.parse(next), { previous });
        if (!compiled.ok) throw new Error(compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
        return compiled.snapshot;
      });
      if (outcome.ok) raw = next;
      return outcome;
    },
    async metric(name, labels = {}) {
      const m = metrics.registry.getSingleMetric(name);
      if (!m) throw new Error(`no metric ${name}`);
      const { values } = await m.get();
      return values
        .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
        .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === undefined)
        .reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      await gateway.close(Date.now() + 2_000);
      if (!opts.core) await core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
