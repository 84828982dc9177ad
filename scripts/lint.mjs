#!/usr/bin/env node
// Project rules the type checker cannot see. Run by `npm run lint` after `tsc --noEmit`.
//  - no TODO/FIXME/XXX markers in src/ (nothing is a placeholder called done)
//  - kebab-case file names in src/, test/, bench/
//  - no console.* in src/ (logs go through pino; CLI output through the Io contract)
//  - relative imports in src/ end in .js (NodeNext ESM resolution)
//  - no getPeerX509Certificate() in src/: Node (20 to 24) leaks every chain certificate the peer
//    sent beyond its leaf, in native memory (issue 11, bench/mtls-churn.mjs CHURN_PROBE=1)
//  - no import circle among the files of src/ (issue 14; scripts/import-graph.mjs)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeCycles, findCycles, importGraph } from './import-graph.mjs';

const root = new URL('..', import.meta.url).pathname;
const problems = [];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'results' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}

for (const top of ['src', 'test', 'bench']) {
  let files;
  try {
    files = [...walk(join(root, top))];
  } catch {
    continue;
  }
  for (const file of files) {
    const rel = relative(root, file);
    const base = rel.split('/').pop();
    if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/.test(base)) problems.push(`${rel}: file name is not kebab-case`);
    if (top !== 'src' || !file.endsWith('.ts')) continue;
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/\b(TODO|FIXME|XXX)\b/.test(line)) problems.push(`${rel}:${i + 1}: placeholder marker`);
      if (/\bconsole\.(log|error|warn|info|debug)\(/.test(line)) problems.push(`${rel}:${i + 1}: console.* in src (use the logger or the CLI Io)`);
      if (/\bgetPeerX509Certificate\(/.test(line) && !/^\s*(\*|\/\/)/.test(line)) {
        problems.push(`${rel}:${i + 1}: getPeerX509Certificate() leaks the peer's chain in native memory (issue 11): read the leaf with getPeerCertificate(false).raw`);
      }
      const imp = /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/.exec(line);
      if (imp && !imp[1].endsWith('.js') && !imp[1].endsWith('.json')) problems.push(`${rel}:${i + 1}: relative import without .js suffix`);
    });
  }
}

for (const circle of describeCycles(findCycles(importGraph(join(root, 'src'))), 'src/')) {
  problems.push(`import circle: ${circle}`);
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write('lint: ok\n');
