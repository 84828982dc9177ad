/**
 * config.example.yaml is the operator's reference: it must validate, document every schema key
 * (set, or commented out with its default), and mark reloadability exactly as the code enforces it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaLeaves } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { RESTART_ONLY_PATHS } from '../../src/config/schema.js';

const EXAMPLE = new URL('../../config.example.yaml', import.meta.url).pathname;
const lines = readFileSync(EXAMPLE, 'utf8').split('\n');

/** Walk the YAML text by indentation: key path -> the comment block just above it. */
function documentedKeys(): Map<string, string> {
  const out = new Map<string, string>();
  const stack: Array<{ indent: number; key: string }> = [];
  let comment: string[] = [];
  for (const line of lines) {
    const m = /^(\s*)(#\s*)?([A-Za-z][A-Za-z0-9]*):(\s.*)?$/.exec(line);
    if (m && !(m[2] && /^\s*#\s*-/.test(line))) {
      const indent = (m[1] ?? '').length;
      while (stack.length > 0 && (stack[stack.length - 1] as { indent: number }).indent >= indent) stack.pop();
      const path = [...stack.map((s) => s.key), m[3] as string].join('.');
      if (!out.has(path)) out.set(path, comment.join(' '));
      if (!m[2]) stack.push({ indent, key: m[3] as string });
      comment = [];
    } else if (/^\s*#/.test(line)) comment.push(line.trim());
    else if (line.trim() === '') comment = [];
  }
  return out;
}

const isRestartOnly = (path: string) => RESTART_ONLY_PATHS.some((p) => path === p || path.startsWith(`${p}.`));

describe('config.example.yaml', () => {
  const documented = documentedKeys();
  const leaves = [...schemaLeaves().keys()];

  it('validates against the schema', async () => {
    // The example leaves the client secret to the environment, as production should.
    const r = await loadConfig({ file: EXAMPLE, env: { DFSP_SIDECAR_OUTBOUND__OAUTH__CLIENT_SECRET: 'from-a-secret-mount' }, cwd: '/' });
    expect(r.ok ? [] : r.issues).toEqual([]);
  });

  it('documents every key of the schema', () => {
    expect(leaves.filter((p) => !documented.has(p))).toEqual([]);
  });

  it('marks each key reloadable exactly as reload enforces it', () => {
    const wrong = leaves.filter((path) => {
      // A key's marking is on its own comment or, for grouped keys (peerIdentity.*), on its parent's.
      const own = documented.get(path) ?? '';
      const parent = documented.get(path.split('.').slice(0, -1).join('.')) ?? '';
      const text = /reloadable: (yes|no)/.exec(own)?.[1] ?? /reloadable: (yes|no)/.exec(parent)?.[1];
      return text !== (isRestartOnly(path) ? 'no' : 'yes');
    });
    expect(wrong).toEqual([]);
  });
});

describe('README sdk-scheme-adapter table', () => {
  it('is exactly the alias map the loader applies (regenerate: npx tsx scripts/docs-tables.ts)', async () => {
    const { readmeSection, renderSdkEnvTable } = await import('../../scripts/docs-tables.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readmeSection(readme, 'sdk-env')).toBe(renderSdkEnvTable());
  });
});
