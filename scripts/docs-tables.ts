/**
 * Renders the README's generated tables (error catalogue, metrics) from the code, and rewrites
 * them in place between their markers: `npx tsx scripts/docs-tables.ts`. The contract tests
 * compare the README with the same renderers, so docs and code cannot drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SDK_ALIASES, SDK_DEFAULT_CHANGES, SDK_GAPS } from '../src/config/env.js';
import { CATALOGUE } from '../src/shared/errors.js';
import { allMetricsRegistry } from './metrics-registry.js';

export function renderErrorTable(): string {
  const rows = Object.entries(CATALOGUE).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.fspiopCode} | ${e.description} | ${e.meaning} |`);
  return ['| code | HTTP | FSPIOP | errorDescription | when |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function renderSdkEnvTable(): string {
  const rows = SDK_ALIASES.map((a) => `| \`${a.env}\` | \`${a.path}\` | ${a.note ?? ''} |`);
  const gaps = SDK_GAPS.map((g) => `| \`${g.path}\` | ${g.why} | \`${g.example}\` |`);
  return [
    '| sdk-scheme-adapter variable | our key | note |',
    '|---|---|---|',
    ...rows,
    '',
    'Keys an SDK-only deployment must add (required here, and no SDK variable sets them; `run` and',
    '`check-config` name them when they are missing):',
    '',
    '| key | why | e.g. |',
    '|---|---|---|',
    ...gaps,
    '',
    'Defaults that differ from the SDK\'s (a deployment that relied on the SDK default sets the variable, or gets ours):',
    '',
    '| variable | our key | SDK default | our default |',
    '|---|---|---|---|',
    ...SDK_DEFAULT_CHANGES.map((c) => `| \`${c.env}\` | \`${c.path}\` | ${c.sdk} | ${c.ours} |`),
  ].join('\n');
}

export async function renderMetricsTable(): Promise<string> {
  const registry = allMetricsRegistry();
  const metrics = (await registry.getMetricsAsJSON()).filter((m) => !isDefaultProcessMetric(m.name));
  const rows = metrics
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => {
      const labels = ((m as unknown as { labelNames?: string[] }).labelNames ?? labelNamesOf(registry, m.name)).join(', ');
      return `| \`${m.name}\` | ${m.type} | ${labels || '–'} | ${m.help} |`;
    });
  return ['| metric | type | labels | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

function labelNamesOf(registry: ReturnType<typeof allMetricsRegistry>, name: string): string[] {
  const metric = registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
  return metric?.labelNames ?? [];
}

/** prom-client's default process/Node.js series (prefixed like ours) are documented as a group, not one by one. */
export function isDefaultProcessMetric(name: string): boolean {
  return /^dfsp_sidecar_(process_|nodejs_)/.test(name);
}

export function replaceSection(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} ... ${end} section`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

export function readmeSection(text: string, marker: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  return text.slice(text.indexOf(start) + start.length, text.indexOf(end)).trim();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url);
  let text = readFileSync(path, 'utf8');
  text = replaceSection(text, 'errors', renderErrorTable());
  text = replaceSection(text, 'metrics', await renderMetricsTable());
  text = replaceSection(text, 'sdk-env', renderSdkEnvTable());
  writeFileSync(path, text);
  process.stdout.write('README tables regenerated\n');
}
