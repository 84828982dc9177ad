/**
 * A port in use at start: the sidecar binds all its listeners or none. It prints one line naming the
 * listener, address and key to change (no pino `fatal` line, no EADDRINUSE stack), exits 2, and the
 * listeners whose ports were free were never opened (their "listening" log lines never appear).
 */
import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki, writeTestPki } from '../helpers/pki.js';
import { startSidecarProcess } from '../helpers/sidecar-process.js';

let blocker: Server | undefined;
afterAll(() => new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r())));

describe('a listener port in use at start', () => {
  it('binds nothing and says so in one clean line', async () => {
    const files = writeTestPki(await makeTestPki());
    blocker = createServer();
    const busy = await new Promise<number>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve((blocker?.address() as { port: number }).port)));
    const config = join(files.dir, 'busy-admin.yaml');
    writeFileSync(
      config,
      `dfspId: payerfsp
admin: { host: 127.0.0.1, port: ${busy} }
reload: { pollIntervalMs: 0 }
jws: { signingKeyFile: ${files.jwsSigningKey}, keysDirectory: ${files.jwsKeysDir} }
inbound:
  host: 127.0.0.1
  port: 0
  tls: { certFile: ${files.dfspServerCert}, keyFile: ${files.dfspServerKey}, caFiles: [${files.dfspCaCert}] }
  allowlist: [127.0.0.0/8]
outbound:
  port: 0
  tls: { caFiles: [${files.hubCaCert}], certFile: ${files.dfspClientCert}, keyFile: ${files.dfspClientKey} }
  hub: { default: "https://127.0.0.1:1" }
`,
    );
    const proc = startSidecarProcess(['run', '--config', config]);
    const exit = await proc.exited();
    expect(exit.code).toBe(2);
    const err = proc.stderr();
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toContain(`admin listener 127.0.0.1:${busy} (admin.port): already in use`);
    expect(err).toContain('no listener was started');
    expect(err).not.toMatch(/\n\s+at |EADDRINUSE/);
    // No pino line at all: nothing was bound, so nothing was announced.
    expect(proc.logs().filter((l) => l.level === 60)).toEqual([]);
    expect(proc.stdout()).not.toMatch(/outbound listener|"listener":"(inbound|outbound)"/);
  });
});
