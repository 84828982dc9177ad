/**
 * The lean per-request series: they count like prom-client's, reset, and come out of the shared
 * registry as well-formed Prometheus text (histograms cumulative, with +Inf, _sum and _count).
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counterSeries, gaugeSeries, histogramSeries } from '../../../src/inbound/request-series.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';

describe('request series', () => {
  it('counts per label set and renders as Prometheus text', async () => {
    const registry = new Registry();
    const c = counterSeries(registry, { name: 'x_requests_total', help: 'requests', labelNames: ['resource', 'status'] });
    c.inc(['quotes', '200']);
    c.inc(['quotes', '200'], 2);
    c.inc(['transfers', '400']);
    const g = gaugeSeries(registry, { name: 'x_in_flight', help: 'in flight' });
    g.add(3);
    g.add(-1);
    const { samples, types } = parsePrometheusText(await registry.metrics());
    expect(types.get('x_requests_total')).toBe('counter');
    expect(sampleValue(samples, 'x_requests_total', { resource: 'quotes', status: '200' })).toBe(3);
    expect(sampleValue(samples, 'x_requests_total', { resource: 'transfers', status: '400' })).toBe(1);
    expect(sampleValue(samples, 'x_in_flight')).toBe(2);
    expect(registry.getSingleMetric('x_requests_total')).toBe(c);
  });

  it('renders histograms exactly as prom-client does for the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const h = histogramSeries(ours, { name: 'x_seconds', help: 'h', labelNames: ['resource'], buckets });
    const p = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['resource'], buckets, registers: [theirs] });
    for (const [r, v] of [['quotes', 0.0005], ['quotes', 0.001], ['quotes', 0.05], ['quotes', 7], ['transfers', 0.2]] as const) {
      h.observe([r], v);
      p.observe({ resource: r }, v);
    }
    const a = parsePrometheusText(await ours.metrics());
    const b = parsePrometheusText(await theirs.metrics());
    expect(a.types.get('x_seconds')).toBe('histogram');
    // Same samples; label order within a sample does not matter to Prometheus.
    const canonical = (s: typeof a.samples) => s.map((x) => `${x.name}${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`).sort();
    expect(canonical(a.samples)).toEqual(canonical(b.samples));
    expect(a.samples.length).toBe(14);
  });

  it('resets through the registry, and refuses a duplicate name', async () => {
    const registry = new Registry();
    const c = counterSeries(registry, { name: 'x_total', help: 'x', labelNames: ['a'] });
    c.inc(['1']);
    registry.resetMetrics();
    expect((await c.get()).values).toEqual([]);
    expect(() => counterSeries(registry, { name: 'x_total', help: 'x', labelNames: ['a'] })).toThrow(/already been registered/);
  });
});
