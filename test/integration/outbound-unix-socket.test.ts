/**
 * Behaviour: with outbound.socketPath the core reaches the sidecar over a unix socket (no TCP port
 * at all), a stale socket file left by a dead process is replaced, and a regular file at that path
 * is never deleted.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutboundHub, type OutboundHub } from '../helpers/outbound-hub.js';
import { outboundPki, type OutboundPki } from '../helpers/outbound-pki.js';
import { quoteBody } from '../helpers/outbound-sidecar.js';
import { compileSnapshot, type RuntimeSnapshot } from '../../src/runtime/compile.js';
import { configSchema } from '../../src/config/schema.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createOutboundGateway } from '../../src/outbound/gateway.js';
import { createSilentLogger } from '../../src/shared/log.js';
import { createSnapshotStore } from '../../src/shared/state.js';

let pki: OutboundPki;
let hub: OutboundHub;
let dir: string;

beforeAll(async () => {
  pki = await outboundPki();
  hub = await startOutboundHub({ cert: pki.hubServer, clientCaPem: pki.hubCa.certPem, keys: { dfspa: pki.jwsRsa.publicPem } });
  dir = mkdtempSync(join(tmpdir(), 'outbound-sock-'));
});
afterAll(async () => {
  await hub?.close();
});

async function gatewayOn(socketPath: string) {
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const config = configSchema.parse({
    dfspId: 'dfspa',
    admin: { enabled: false },
    inbound: { enabled: false },
    jws: { signingKeyFile: file('jws.pem', pki.jwsRsa.privatePem) },
    outbound: {
      socketPath,
      tls: { caFiles: [file('ca.pem', pki.hubCa.certPem)], certFile: file('c.pem', pki.client.chainPem), keyFile: file('c.key', pki.client.keyPem) },
      hub: { default: hub.url },
    },
  });
  const compiled = await compileSnapshot(config);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  return createOutboundGateway({ store: createSnapshotStore<RuntimeSnapshot>(compiled.snapshot), metrics: createMetrics({ defaultMetrics: false }), log: createSilentLogger() });
}

describe('unix socket listener', () => {
  it('serves the core over the socket, replacing a stale socket file', async () => {
    const socketPath = join(dir, 'outbound.sock');
    // A socket file whose owner died without cleaning up (SIGKILL leaves it behind).
    const owner = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.stdout.write('up'))", socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(owner.stdout!, 'data');
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    expect(existsSync(socketPath)).toBe(true);

    const gateway = await gatewayOn(socketPath);
    expect(await gateway.listen()).toBe(socketPath);
    const client = new Client('http://localhost', { socketPath });
    try {
      const res = await client.request({ path: '/quotes', method: 'POST', body: quoteBody(), headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.1' } });
      await res.body.dump();
      expect(res.statusCode).toBe(202);
      expect(hub.requests.at(-1)!.sdkLatest).toBe('valid');
      expect(gateway.readiness()).toEqual({ ready: true });
    } finally {
      await client.close();
      await gateway.close(Date.now() + 1_000);
    }
    expect(existsSync(socketPath)).toBe(false);
  });

  it('refuses to replace a regular file at the socket path', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'precious');
    const gateway = await gatewayOn(path);
    await expect(gateway.listen()).rejects.toThrow(/not a socket/);
    expect(existsSync(path)).toBe(true);
    await gateway.close(Date.now());
  });
});
