/**
 * Start the outbound gateway in-process for an integration test, the way the composition root
 * does: config object → configSchema.parse → compileSnapshot → snapshot store → gateway. Files
 * (CA bundle, client certificate and key, JWS keys) are written to a temp dir so reload tests can
 * replace them. Logs can be captured as parsed JSON lines.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { Agent, request } from 'undici';
import { compileSnapshot, type RuntimeSnapshot } from '../../src/runtime/compile.js';
import { configSchema } from '../../src/config/schema.js';
import { createMetrics, type CommonMetrics } from '../../src/metrics/registry.js';
import { createOutboundGateway } from '../../src/outbound/gateway.js';
import type { Gateway } from '../../src/shared/gateway.js';
import { createLogger, createSilentLogger } from '../../src/shared/log.js';
import { createSnapshotStore, type SnapshotStore } from '../../src/shared/state.js';
import { fspiopResource } from '../../src/crypto/jws/index.js';
import { parsePrometheusText, type Sample } from './prometheus-text.js';
import type { OutboundPki } from './outbound-pki.js';

export type RawConfig = Record<string, any>;

export interface OutboundSidecar {
  readonly dir: string;
  readonly gateway: Gateway;
  readonly store: SnapshotStore<RuntimeSnapshot>;
  readonly metrics: CommonMetrics;
  readonly url: string;
  /** Captured log lines (only with `captureLogs`). */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw text of every captured log line. */
  readonly logText: string[];
  raw: RawConfig;
  /** Write a file into the test dir, returning its path. */
  write(name: string, content: string): string;
  /** Re-parse and recompile with a changed config (against the current snapshot) and swap it in. */
  reload(mutate?: (raw: RawConfig) => void): Promise<RuntimeSnapshot>;
  send(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json(): any }>;
  samples(name: string): Promise<Sample[]>;
  close(): Promise<void>;
}

export interface OutboundSidecarOptions {
  pki: OutboundPki;
  /** outbound.hub: either the default URL or the whole section. */
  hub: string | RawConfig;
  oauth?: RawConfig;
  workers?: number | 'auto';
  captureLogs?: boolean;
  logLevel?: string;
  /** Last word on the raw config before parsing. */
  tweak?: (raw: RawConfig, files: Record<string, string>) => void;
}

export async function startOutboundSidecar(opts: OutboundSidecarOptions): Promise<OutboundSidecar> {
  const dir = mkdtempSync(join(tmpdir(), 'outbound-'));
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const files = {
    hubCa: write('hub-ca.pem', opts.pki.hubCa.certPem),
    clientCert: write('client.pem', opts.pki.client.chainPem),
    clientKey: write('client.key', opts.pki.client.keyPem),
    jwsKey: write('dfspa.key.pem', opts.pki.jwsRsa.privatePem),
    jwsKeyEc: write('dfspb.key.pem', opts.pki.jwsEc.privatePem),
  };
  const raw: RawConfig = {
    dfspId: 'dfspa',
    log: { level: opts.logLevel ?? 'info' },
    admin: { enabled: false },
    inbound: { enabled: false },
    reload: { pollIntervalMs: 0 },
    jws: { signingKeyFile: files.jwsKey, identities: [{ fspId: 'dfspb', signingKeyFile: files.jwsKeyEc }] },
    outbound: {
      host: '127.0.0.1',
      port: 0,
      tls: { caFiles: [files.hubCa], certFile: files.clientCert, keyFile: files.clientKey },
      hub: typeof opts.hub === 'string' ? { default: opts.hub, timeoutMs: 5_000 } : opts.hub,
      ...(opts.oauth ? { oauth: opts.oauth } : {}),
      workers: opts.workers ?? 0,
    },
  };
  opts.tweak?.(raw, files);

  const logs: Array<Record<string, unknown>> = [];
  const logText: string[] = [];
  const log = opts.captureLogs
    ? createLogger({
        level: (opts.logLevel ?? 'debug') as 'debug',
        destination: new Writable({
          write(chunk: Buffer, _enc, cb) {
            for (const line of chunk.toString('utf8').split('\n')) {
              if (!line) continue;
              logText.push(line);
              logs.push(JSON.parse(line) as Record<string, unknown>);
            }
            cb();
          },
        }) as unknown as DestinationStream,
      })
    : createSilentLogger();

  const compiled = await compileSnapshot(configSchema.parse(raw));
  if (!compiled.ok) throw new Error(`config does not compile: ${compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const store = createSnapshotStore<RuntimeSnapshot>(compiled.snapshot);
  const metrics = createMetrics({ defaultMetrics: false });
  const gateway = createOutboundGateway({ store, metrics, log });
  const address = await gateway.listen();
  if (typeof address === 'string') throw new Error('expected a TCP listener');
  const url = `http://127.0.0.1:${address.port}`;
  const client = new Agent({ connections: 64 });

  const self: OutboundSidecar = {
    dir,
    gateway,
    store,
    metrics,
    url,
    logs,
    logText,
    raw,
    write,
    async reload(mutate) {
      const next = structuredClone(self.raw);
      mutate?.(next);
      self.raw = next;
      const outcome = await store.reload(async (previous) => {
        const c = await compileSnapshot(configSchema.parse(next), { previous });
        if (!c.ok) throw new Error(c.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
        return c.snapshot;
      });
      if (!outcome.ok) throw outcome.error;
      return outcome.snapshot;
    },
    async send(path, o = {}) {
      const res = await request(`${url}${path}`, {
        method: (o.method ?? 'POST') as 'POST',
        headers: { ...fspiopContentType(path), ...(o.headers ?? {}) },
        body: o.body,
        dispatcher: client,
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
    },
    async samples(name) {
      return parsePrometheusText(await metrics.registry.metrics()).samples.filter((s) => s.name === name);
    },
    async close() {
      await gateway.close(Date.now() + 2_000);
      await client.close();
    },
  };
  return self;
}

/** The Content-Type a conforming core sends for `path` (none for a path without an FSPIOP resource). */
export function fspiopContentType(path: string): Record<string, string> {
  const resource = fspiopResource(path);
  return resource === undefined ? {} : { 'content-type': `application/vnd.interoperability.${resource}+json;version=1.1` };
}

/** Sum of a counter's samples whose labels include `match`. */
export function total(samples: Sample[], match: Record<string, string> = {}): number {
  return samples.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** A realistic FSPIOP quote body (unsorted keys, as a core would send it). */
export function quoteBody(id = '7c23e80c-d078-4077-8263-2c047876fcf6'): string {
  return JSON.stringify({
    quoteId: id,
    transactionId: '85feac2f-39b2-491b-817e-4a03203d4f14',
    payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123456789', fspId: 'dfspz' } },
    payer: { personalInfo: { complexName: { firstName: 'Mats', lastName: 'Hagman' } }, partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '9876543', fspId: 'dfspa' } },
    amountType: 'RECEIVE',
    amount: { amount: '100', currency: 'USD' },
    transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
    note: 'Bonne journée — façade ünïcode',
    expiration: '2030-01-01T00:00:00.000Z',
  });
}

/** Poll `cond` until it holds; fail after `ms` with `what` (a bound, not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * OAuth settings for the token endpoint stand-in, with fast retries for tests. Hub 401s may trigger a
 * fetch every time (rejectionRefreshMinSeconds: 0) so that scenarios revoking several tokens in a row
 * see each refresh; the storm test sets the interval itself.
 */
export function oauthFor(tokenUrl: string, extra: RawConfig = {}): RawConfig {
  return { tokenEndpoint: tokenUrl, clientKey: 'dfspa-client', clientSecret: 'dfspa-secret-value', refreshSeconds: 3600, marginSeconds: 30, refreshRetrySeconds: 0.2, maxRetrySeconds: 1, timeoutMs: 2_000, rejectionRefreshMinSeconds: 0, ...extra };
}
