/**
 * The dev profile runs its own generated config: asked for explicitly while configuration
 * variables are set, it says it ignores them rather than mixing them in, and its banner shows the
 * ports it actually bound (not those the variables or the port base would suggest).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canConnect } from '../helpers/net.js';
import { startSidecarProcess, type SidecarProcess } from '../helpers/sidecar-process.js';

let sidecar: SidecarProcess | undefined;
afterAll(async () => {
  await sidecar?.kill();
});

describe('dev profile asked for with configuration variables set', () => {
  it('ignores them, says so, and its banner names the bound ports', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sidecar-dev-asked-'));
    sidecar = startSidecarProcess(['run', '--dev', '--port-base', '0'], { cwd, env: { DFSP_SIDECAR_INBOUND__PORT: '1', DFSP_ID: 'prodfsp' } });
    await sidecar.waitFor((out) => out.includes('dev profile is up'), 60_000);
    expect(sidecar.stderr()).toContain('dev profile: ignoring DFSP_ID, DFSP_SIDECAR_INBOUND__PORT (the dev profile runs its own generated config)');
    const banner = sidecar.stdout();
    const port = (name: string) => Number(new RegExp(`${name}\\s+https?://127\\.0\\.0\\.1:(\\d+)`).exec(banner)?.[1]);
    const listening = Object.fromEntries(
      [...(/Listening: (.*)/.exec(banner)?.[1] ?? '').matchAll(/(\w+)=[^ ]*:(\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    for (const name of ['inbound', 'outbound', 'admin']) {
      expect(port(name), name).toBe(listening[name]);
      expect(await canConnect(port(name)), name).toBe(true);
    }
    expect(port('inbound')).not.toBe(1);
    expect(banner).toContain('signs as dev-dfsp');
    const core = Number(/echo core http:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
    expect(await canConnect(core)).toBe(true);
  });

  it('is refused together with --config', async () => {
    const proc = startSidecarProcess(['run', '--dev', '--config', 'x.yaml']);
    expect((await proc.exited()).code).toBe(2);
    expect(proc.stderr()).toContain('--config and the dev profile options');
  });
});
