/**
 * Container HEALTHCHECK: GET /healthz on the admin listener the sidecar was configured with (the
 * same config file and DFSP_SIDECAR_* variables, read by the sidecar's own loader), not a
 * hard-coded port. Exit 0 healthy, 1 unhealthy (with the reason on stderr, which `docker inspect`
 * shows). Needs the built dist/ beside it, as in the image: node scripts/healthcheck.mjs
 * On Kubernetes the kubelet's probes do this job; the image's HEALTHCHECK is for plain Docker.
 */
import { loadConfig } from '../dist/config/load.js';

const TIMEOUT_MS = 2_000;

function fail(why) {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

const loaded = await loadConfig({ env: process.env, cwd: process.cwd() });
if (!loaded.ok) fail(`config does not load: ${loaded.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
const { admin } = loaded.config;
if (!admin.enabled) fail('admin.enabled is false: no /healthz to ask (enable the admin listener, or drop the HEALTHCHECK)');
// A wildcard bind answers on loopback; a specific address is asked directly.
const host = admin.host === '0.0.0.0' || admin.host === '' ? '127.0.0.1' : admin.host === '::' ? '::1' : admin.host;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${admin.port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) fail(`${url} answered ${res.status}`);
} catch (err) {
  fail(`${url}: ${err?.cause?.code ?? err?.name ?? err}`);
}
