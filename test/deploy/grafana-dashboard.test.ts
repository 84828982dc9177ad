/**
 * deploy/grafana/: one importable dashboard that picks its Prometheus through a datasource
 * variable, hard-codes no job or instance, reads only series the sidecar exports, and shows what
 * the issue lists. observability-live.test.ts runs every query against a real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allMetricsRegistry } from '../../scripts/metrics-registry.js';
import { createMetrics } from '../../src/metrics/registry.js';

interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/dfsp-sidecar.dashboard.json', import.meta.url), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid: string } }> };
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, ...t })));

describe('Grafana dashboard', () => {
  it('has a Prometheus datasource variable that every panel and query uses', () => {
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid, v.name).toBe('${datasource}');
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('hard-codes no job or instance: every series selector is filtered by the $job and $instance variables', () => {
    for (const t of targets) {
      expect(t.expr, t.panel.title).not.toMatch(/\b(job|instance|pod|namespace)\s*=\s*"/);
      const selectors = t.expr.match(/dfsp_sidecar_[a-z0-9_]+(\{[^}]*\})?/g) ?? [];
      expect(selectors.length, t.panel.title).toBeGreaterThan(0);
      for (const s of selectors) expect(s, t.panel.title).toContain('job=~"$job", instance=~"$instance"');
    }
  });

  it('reads only series the sidecar exports', async () => {
    const names = new Set<string>();
    for (const registry of [allMetricsRegistry(), createMetrics().registry]) {
      for (const m of await registry.getMetricsAsJSON()) {
        names.add(m.name);
        if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
      }
    }
    for (const t of targets) for (const n of t.expr.match(/dfsp_sidecar_[a-z0-9_]+/g) ?? []) expect(names.has(n), `${t.panel.title}: ${n}`).toBe(true);
  });

  it('shows what an operator watches', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const metric of [
      'inbound_requests_total',
      'outbound_requests_total',
      'inbound_jws_verifications_total',
      'inbound_jws_matched_encoding_total',
      'inbound_sidecar_duration_seconds',
      'inbound_core_duration_seconds',
      'outbound_sidecar_duration_seconds',
      'outbound_hub_duration_seconds',
      'outbound_token_expiry_timestamp_seconds',
      'outbound_token_refreshes_total',
      'certificate_expiry_timestamp_seconds',
      'inbound_tls_handshake_failures_total',
      'reloads_total',
      'inbound_connections_open',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(all, metric).toContain(`dfsp_sidecar_${metric}`);
    }
    expect(panels.find((p) => /certificate expiry/i.test(p.title))?.type).toBe('table');
  });

  it('is laid out on the 24-column grid with unique panel ids', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    expect(dashboard.uid).toBe('dfsp-sidecar');
  });
});
