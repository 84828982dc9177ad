/**
 * Dockerfile: a current LTS Node on an exact tag, the supported range agreeing with package.json,
 * and a HEALTHCHECK that asks the admin port the config names (scripts/healthcheck.mjs, run here
 * against a live sidecar whose admin port is not the default 4002).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveDevProfile, type LiveDevProfile } from '../helpers/live-dev-profile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } };
const HEALTHCHECK = `${ROOT}scripts/healthcheck.mjs`;

function healthcheck(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [HEALTHCHECK], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('Dockerfile', () => {
  it('builds and runs on one exact Node LTS tag within the supported range', () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1] as string);
    expect(froms.length).toBe(2);
    for (const from of froms) expect(from).toBe(froms[0]);
    const tag = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/.exec(froms[0] as string);
    expect(tag, `${froms[0]} is an exact version on a slim image`).not.toBeNull();
    const major = Number(tag?.[1]);
    // Even majors are the LTS lines.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]));
  });

  it('health-checks with scripts/healthcheck.mjs, which the image contains, not a fixed port', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["node", "scripts\/healthcheck\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^COPY scripts\/healthcheck\.mjs \.\/scripts\/$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK.*4002/m);
  });
});

describe('container HEALTHCHECK (scripts/healthcheck.mjs)', () => {
  let sidecar: LiveDevProfile | undefined;
  beforeAll(async () => {
    sidecar = await startLiveDevProfile();
  });
  afterAll(async () => {
    await sidecar?.stop();
  });

  it('is healthy on the admin port the config names, and says why when it is not', async () => {
    const live = sidecar as LiveDevProfile;
    expect(live.ports.admin).not.toBe(4002);
    expect(healthcheck({ DFSP_SIDECAR_CONFIG: live.configFile })).toEqual({ status: 0, stderr: '' });

    // The same config with the admin port moved (by variable, as a container would) to a port
    // above Linux's ephemeral range, where nothing listens: the check follows it and fails.
    const wrong = healthcheck({ DFSP_SIDECAR_CONFIG: live.configFile, DFSP_SIDECAR_ADMIN__PORT: '65535' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^unhealthy: http:\/\/127\.0\.0\.1:65535\/healthz: ECONNREFUSED/);

    const disabled = healthcheck({ DFSP_SIDECAR_CONFIG: live.configFile, DFSP_SIDECAR_ADMIN__ENABLED: 'false' });
    expect(disabled.status).toBe(1);
    expect(disabled.stderr).toContain('admin.enabled is false');

    const broken = healthcheck({ DFSP_SIDECAR_CONFIG: `${live.cwd}/missing.yaml` });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('config does not load');

    // Stopped sidecar: unhealthy.
    live.process.signal('SIGTERM');
    await live.process.exited();
    const stopped = healthcheck({ DFSP_SIDECAR_CONFIG: live.configFile });
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain(`127.0.0.1:${live.ports.admin}/healthz`);
  });
});
