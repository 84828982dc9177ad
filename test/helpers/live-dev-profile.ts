/**
 * A dev-profile sidecar (the built dist/cli.js, `run --port-base 0`) in a fresh directory, ready
 * (OAuth token held), for tests of what operators run against it: Prometheus, promtool, the
 * container HEALTHCHECK.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSidecarProcess, type SidecarProcess } from './sidecar-process.js';

export interface LiveDevProfile {
  readonly process: SidecarProcess;
  readonly cwd: string;
  readonly ports: { inbound: number; outbound: number; admin: number };
  readonly configFile: string;
  /** PEM text of a file under .dev/. */
  file(rel: string): string;
  stop(): Promise<void>;
}

/** Polls `fn` until it returns a value other than undefined, or throws after `ms`. */
export async function until<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startLiveDevProfile(): Promise<LiveDevProfile> {
  const cwd = mkdtempSync(join(tmpdir(), 'sidecar-live-'));
  const child = startSidecarProcess(['run', '--port-base', '0'], { cwd });
  const stop = async () => {
    await child.kill();
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    await child.waitFor((out) => out.includes('dev profile is up'), 60_000);
    const banner = child.stdout();
    const port = (name: string) => Number(new RegExp(`${name}\\s+https?://127\\.0\\.0\\.1:(\\d+)`).exec(banner)?.[1]);
    const ports = { inbound: port('inbound'), outbound: port('outbound'), admin: port('admin') };
    if (!ports.inbound || !ports.outbound || !ports.admin) throw new Error(`no ports in the banner:\n${banner}`);
    await until(async () => ((await fetch(`http://127.0.0.1:${ports.admin}/readyz`)).status === 200 ? true : undefined), 20_000, 'the dev profile ready');
    return { process: child, cwd, ports, configFile: join(cwd, '.dev/config.yaml'), file: (rel) => readFileSync(join(cwd, '.dev', rel), 'utf8'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
