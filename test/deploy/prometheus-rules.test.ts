/**
 * deploy/prometheus/: the alert rules are valid (`promtool check rules`), every alert is
 * unit-tested (`promtool test rules`: it fires when it should and stays silent when it should
 * not), every alert tells the operator what to do, and every series a rule reads is one the
 * sidecar exports.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allMetricsRegistry } from '../../scripts/metrics-registry.js';
import { findTool } from '../helpers/prometheus-tools.js';

const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const RULES = `${DIR}dfsp-sidecar.rules.yaml`;
const TESTS = `${DIR}dfsp-sidecar.rules.test.yaml`;

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RuleTest {
  name: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test: Array<{ eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }>;
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap((g) => g.rules);
const tests = (parse(readFileSync(TESTS, 'utf8')) as { tests: RuleTest[] }).tests;
const promtool = findTool('promtool');

describe('alert rules', () => {
  it('cover what the issue lists, each with a severity, a summary, a description and a runbook line', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const expected of [
      'DfspSidecarCertificateExpiring',
      'DfspSidecarCertificateExpiryCritical',
      'DfspSidecarOAuthTokenExpired',
      'DfspSidecarOAuthRefreshFailing',
      'DfspSidecarReloadFailing',
      'DfspSidecarListenerDown',
      'DfspSidecarJwsRejectionsRising',
      'DfspSidecarTlsHandshakeFailuresRising',
      'DfspSidecarHubUpstreamFailures',
      'DfspSidecarCoreUpstreamFailures',
      'DfspSidecarInbound5xxShareHigh',
      'DfspSidecarOutbound5xxShareHigh',
      'DfspSidecarInboundAddedLatencyHigh',
      'DfspSidecarOutboundAddedLatencyHigh',
    ]) {
      expect(names).toContain(expected);
    }
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary?.length ?? 0, r.alert).toBeGreaterThan(10);
      expect(r.annotations.description?.length ?? 0, r.alert).toBeGreaterThan(30);
      expect(r.annotations.runbook?.length ?? 0, r.alert).toBeGreaterThan(30);
    }
    // Certificate thresholds: warning at 21 days, critical at 7.
    expect(rules.find((r) => r.alert === 'DfspSidecarCertificateExpiring')?.expr).toMatch(/< 21 \* 86400 >= 7 \* 86400/);
    expect(rules.find((r) => r.alert === 'DfspSidecarCertificateExpiryCritical')?.expr).toMatch(/< 7 \* 86400/);
  });

  it('read only series the sidecar exports (or the scrape itself: up)', async () => {
    const exported = new Set<string>();
    for (const m of await allMetricsRegistry().getMetricsAsJSON()) {
      exported.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m.name + s);
    }
    for (const r of rules) {
      const used = r.expr.match(/\bdfsp_sidecar_[a-z0-9_]+|\bup(?=\{)/g) ?? [];
      expect(used.length, r.alert).toBeGreaterThan(0);
      for (const name of used) if (name !== 'up') expect(exported.has(name), `${r.alert}: ${name}`).toBe(true);
    }
  });

  it('each have a unit test where they fire and one where they stay silent', () => {
    for (const r of rules) {
      const cases = tests.flatMap((t) => t.alert_rule_test.filter((c) => c.alertname === r.alert).map((c) => ({ test: t, c })));
      const firing = cases.filter(({ c }) => c.exp_alerts.length > 0);
      expect(firing.length, `${r.alert} never fires in a test`).toBeGreaterThan(0);
      // Silent: an evaluation expecting nothing, or input series for an instance that is not expected to alert.
      const silentEval = cases.some(({ c }) => c.exp_alerts.length === 0);
      const silentInstance = firing.some(({ test, c }) => {
        const alerting = new Set(c.exp_alerts.map((a) => a.exp_labels.instance));
        return test.input_series.some((s) => {
          const instance = /instance="([^"]+)"/.exec(s.series)?.[1];
          return instance !== undefined && !alerting.has(instance);
        });
      });
      expect(silentEval || silentInstance, `${r.alert} has no case where it stays silent`).toBe(true);
    }
  });

  describe.skipIf(promtool.skipReason !== undefined)('with promtool', () => {
    it('pass promtool check rules', () => {
      const out = execFileSync(promtool.path as string, ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    it('pass promtool test rules', () => {
      const run = spawnSync(promtool.path as string, ['test', 'rules', TESTS], { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
      expect(run.stdout + run.stderr).toContain('SUCCESS');
      expect(run.status, run.stdout + run.stderr).toBe(0);
    });

    it('promtool test rules fails when an alert does not fire as the test expects (the tests bite)', () => {
      // The same tests against rules whose JWS threshold was raised to 50%: the firing case must fail.
      const weakened = readFileSync(RULES, 'utf8').replace(/(verifications_total\[5m\]\)\)\n\s+> )0\.05/, '$10.5');
      expect(weakened).not.toBe(readFileSync(RULES, 'utf8'));
      const dir = mkdtempSync(join(tmpdir(), 'dfsp-rules-'));
      let run: SpawnSyncReturns<string>;
      try {
        writeFileSync(join(dir, 'dfsp-sidecar.rules.yaml'), weakened);
        writeFileSync(join(dir, 'dfsp-sidecar.rules.test.yaml'), readFileSync(TESTS));
        run = spawnSync(promtool.path as string, ['test', 'rules', 'dfsp-sidecar.rules.test.yaml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).toContain('DfspSidecarJwsRejectionsRising');
    });
  });
});
