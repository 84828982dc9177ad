/**
 * Metric names are public API: every series follows the Prometheus naming conventions under one
 * prefix, and the README table is exactly what the code registers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeSection, renderMetricsTable } from '../../scripts/docs-tables.js';
import { allMetricsRegistry } from '../../scripts/metrics-registry.js';

describe('metric names', () => {
  it('follow Prometheus conventions under dfsp_sidecar_', async () => {
    const metrics = await allMetricsRegistry().getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(10);
    for (const m of metrics) {
      expect(m.name, m.name).toMatch(/^dfsp_sidecar_[a-z0-9_]+$/);
      if (String(m.type) === 'counter') expect(m.name, m.name).toMatch(/_total$/);
      else expect(m.name, m.name).not.toMatch(/_total$/);
      if (String(m.type) === 'histogram') expect(m.name, m.name).toMatch(/_(seconds|bytes)$/);
      expect(m.help.length, m.name).toBeGreaterThan(10);
    }
  });

  it('are exactly the README metrics table (regenerate: npx tsx scripts/docs-tables.ts)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readmeSection(readme, 'metrics')).toBe(await renderMetricsTable());
  });
});
