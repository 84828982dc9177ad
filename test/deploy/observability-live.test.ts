/**
 * The observability artefacts against the real thing: a dev-profile sidecar that has carried
 * traffic (signed round trips, a rejected request in each direction, a failed TLS handshake, a
 * reload), scraped by a real Prometheus (Debian's package, loopback only) that also loads
 * deploy/prometheus's rules. Its /metrics passes `promtool check metrics`; every rule evaluates
 * without error; every query of every dashboard panel parses and returns series.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_FILES } from '../../src/dev/profile.js';
import { mtlsRequest } from '../helpers/mtls-client.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { findTool } from '../helpers/prometheus-tools.js';
import { startLiveDevProfile, until, type LiveDevProfile } from '../helpers/live-dev-profile.js';

const RULES = fileURLToPath(new URL('../../deploy/prometheus/dfsp-sidecar.rules.yaml', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../deploy/grafana/dfsp-sidecar.dashboard.json', import.meta.url));
const promtool = findTool('promtool');
const prometheusBin = findTool('prometheus');
const skip = promtool.skipReason ?? prometheusBin.skipReason;

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
}

/** Grafana's variables as Grafana would render them with "All" selected (allValue .+). */
function grafanaExpr(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$job\b/g, '.+').replace(/\$instance\b/g, '.+');
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(skip !== undefined)('observability against a live sidecar', () => {
  let sidecar: LiveDevProfile | undefined;
  let prom: ChildProcess | undefined;
  let promDir: string | undefined;
  let promUrl = '';
  let metricsText = '';

  async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  }

  beforeAll(async () => {
    sidecar = await startLiveDevProfile();
    const { inbound, outbound, admin } = sidecar.ports;

    // Signed round trips: outbound signs and fetches the token, inbound verifies and relays to the echo core.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${outbound}/quotes`, {
        method: 'POST',
        // fetch would send accept: */*, which the outbound gateway refuses (not an FSPIOP media type).
        headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0', accept: 'application/vnd.interoperability.quotes+json;version=1.0', 'fspiop-destination': 'dev-dfsp' },
        body: JSON.stringify({ quoteId: `q-${i}`, transactionId: `t-${i}`, amount: { currency: 'USD', amount: '100' } }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // Rejected outbound: a body that is not JSON.
    const bad = await fetch(`http://127.0.0.1:${outbound}/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0', 'fspiop-destination': 'dev-dfsp' },
      body: '{"quoteId":',
    });
    expect(bad.status).toBe(400);
    // Rejected inbound: a hub-certified client sending an unsigned quote.
    const unsigned = await mtlsRequest({
      port: inbound,
      path: '/quotes',
      method: 'POST',
      ca: sidecar.file(DEV_FILES.dfspCaCert),
      cert: sidecar.file(DEV_FILES.clientCert),
      key: sidecar.file(DEV_FILES.clientKey),
      headers: { 'content-type': 'application/vnd.interoperability.quotes+json;version=1.0', 'fspiop-source': 'Hub', 'fspiop-destination': 'dev-dfsp', date: new Date().toUTCString() },
      body: '{"quoteId":"q-x"}',
    });
    expect(unsigned.status).toBeGreaterThanOrEqual(400);
    // A TLS client without a certificate: a counted handshake failure.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: inbound, rejectUnauthorized: false });
      s.on('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    // A reload.
    sidecar.process.signal('SIGHUP');
    await until(async () => {
      const m = parsePrometheusText(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text());
      return m.samples.some((s) => s.name === 'dfsp_sidecar_reloads_total' && s.value > 0) ? true : undefined;
    }, 15_000, 'the SIGHUP reload counted');
    await until(async () => {
      const m = parsePrometheusText(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text());
      return m.samples.some((s) => s.name === 'dfsp_sidecar_inbound_tls_handshake_failures_total' && s.value > 0) ? true : undefined;
    }, 15_000, 'the handshake failure counted');
    metricsText = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();

    // Prometheus, scraping every second and evaluating the alert rules every second.
    promDir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(
      join(promDir, 'prometheus.yml'),
      [
        'global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}',
        `rule_files: ['${RULES}']`,
        'scrape_configs:',
        '  - job_name: dfsp-sidecar',
        `    static_configs: [{targets: ['127.0.0.1:${admin}']}]`,
        '',
      ].join('\n'),
    );
    // The free port may be taken between our probe and Prometheus binding it: then Prometheus
    // exits at once, and another port is tried.
    let log = '';
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      promUrl = url;
      log = '';
      const child = spawn(
        prometheusBin.path as string,
        [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prom = child;
      child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
      const exited = once(child, 'exit').then(() => 'exited' as const);
      const ready = until(async () => ((await fetch(`${url}/-/ready`)).ok ? ('ready' as const) : undefined), 30_000, 'Prometheus ready');
      const first = await Promise.race([exited, ready.catch((err: unknown) => err)]);
      if (first === 'ready') break;
      if (first !== 'exited' || attempt === 3) throw new Error(`Prometheus did not start: ${String(first)}\nprometheus log:\n${log}`);
    }
    try {
      // Three scrapes: enough samples in a 1m window for rate() and histogram_quantile().
      await until(async () => {
        const r = await query('count_over_time(up{job="dfsp-sidecar"}[1m]) >= 3');
        return (r.data?.result.length ?? 0) > 0 ? true : undefined;
      }, 30_000, 'three scrapes of the sidecar');
    } catch (err) {
      throw new Error(`${String(err)}\nprometheus log:\n${log}`);
    }
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null && prom.signalCode === null) {
      prom.kill('SIGTERM');
      await once(prom, 'exit');
    }
    if (promDir) rmSync(promDir, { recursive: true, force: true });
    await sidecar?.stop();
  });

  it('its /metrics passes promtool check metrics, with the inbound request-duration histogram by resource and outcome', () => {
    const run = spawnSync(promtool.path as string, ['check', 'metrics'], { input: metricsText, encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { samples, types } = parsePrometheusText(metricsText);
    expect(types.get('dfsp_sidecar_inbound_request_duration_seconds')).toBe('histogram');
    const counts = samples.filter((s) => s.name === 'dfsp_sidecar_inbound_request_duration_seconds_count');
    expect(counts.find((s) => s.labels.resource === 'quotes' && s.labels.outcome === 'ok')?.value).toBe(20);
    expect(counts.some((s) => s.labels.outcome !== 'ok')).toBe(true);
  });

  it('Prometheus scrapes it and evaluates every alert rule without error', async () => {
    const up = await query('up{job="dfsp-sidecar"}');
    expect((up.data?.result[0] as { value: [number, string] }).value[1]).toBe('1');
    const rules = await until(async () => {
      const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; lastEvaluation: string }> }> } };
      const all = res.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    }, 15_000, 'every rule evaluated once');
    // Every rule of the file, not a subset: the count comes from the file itself.
    expect(rules.length).toBe((readFileSync(RULES, 'utf8').match(/^\s+- alert: /gm) ?? []).length);
    for (const r of rules) expect({ rule: r.name, health: r.health, error: r.lastError ?? '' }).toEqual({ rule: r.name, health: 'ok', error: '' });
  });

  it('every query of every dashboard panel parses and returns series', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const targets = dashboard.panels.filter((p) => p.type !== 'row').flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
    expect(targets.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const t of targets) {
      const r = await query(grafanaExpr(t.expr));
      expect(r.status, `${t.panel} ${t.refId}: ${r.error ?? ''}`).toBe('success');
      if ((r.data?.result.length ?? 0) === 0) empty.push(`${t.panel} ${t.refId}: ${t.expr}`);
    }
    expect(empty).toEqual([]);
  });
});
