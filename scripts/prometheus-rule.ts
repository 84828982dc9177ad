/**
 * Writes deploy/kubernetes/base/prometheusrule.yaml: the Prometheus Operator form of
 * deploy/prometheus/dfsp-sidecar.rules.yaml (the file promtool checks and unit-tests), which
 * kustomize cannot embed by itself. Run after editing the rules: npx tsx scripts/prometheus-rule.ts
 * test/deploy/kubernetes-manifests.test.ts fails while the two differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const RULES_FILE = fileURLToPath(new URL('../deploy/prometheus/dfsp-sidecar.rules.yaml', import.meta.url));
export const PROMETHEUS_RULE_FILE = fileURLToPath(new URL('../deploy/kubernetes/base/prometheusrule.yaml', import.meta.url));

export function renderPrometheusRule(): string {
  const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown[] };
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'dfsp-sidecar', labels: { 'app.kubernetes.io/name': 'dfsp-sidecar' } },
    spec: { groups: rules.groups },
  };
  return (
    '# Generated from deploy/prometheus/dfsp-sidecar.rules.yaml by `npx tsx scripts/prometheus-rule.ts`: edit that file, not this one.\n' +
    '# Your Prometheus selects rules by label (ruleSelector): add its label in the overlay if it needs one.\n' +
    stringify(resource, { lineWidth: 0 })
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(PROMETHEUS_RULE_FILE, renderPrometheusRule());
  process.stdout.write(`${PROMETHEUS_RULE_FILE} regenerated\n`);
}
