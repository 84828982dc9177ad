/**
 * The layers run cli → main → gateways → crypto → shared → config only while no module of src/
 * reaches back up: no import circle, `import type` included (issue 14). The same check runs in
 * `npm run lint`; here it also runs with the suite, and the checker itself is shown to find circles
 * on small trees written for the purpose.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeCycles, findCycles, importGraph } from '../../scripts/import-graph.mjs';

const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'import-graph-'));
  trees.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the import graph of src/', () => {
  it('has no circle', () => {
    expect(describeCycles(findCycles(importGraph('src')), 'src/')).toEqual([]);
  });

  it('is read from every file (the check is not vacuous)', () => {
    const graph = importGraph('src');
    expect(graph.get('main.ts')).toContain('shared/log.ts');
    expect(graph.get('cli.ts')?.length).toBeGreaterThan(0);
  });
});

describe('the circle check', () => {
  it('names a circle through a value import each way', () => {
    const dir = tree({
      'cli/run.ts': "import { describe } from '../dev/profile.js';\nexport const run = describe;\n",
      'dev/profile.ts': "import { run } from '../cli/run.js';\nexport const describe = () => run;\n",
    });
    expect(describeCycles(findCycles(importGraph(dir)))).toEqual(['cli/run.ts → dev/profile.ts → cli/run.ts']);
  });

  it('counts type-only imports, re-exports, dynamic imports and index files', () => {
    const dir = tree({
      'config/compile.ts': "export { compileInbound } from '../inbound/index.js';\n",
      'inbound/index.ts': "import type { CompileContext } from '../config/compile.js';\nexport const compileInbound = (c: CompileContext) => c;\n",
      'outbound/compile.ts': "export const load = () => import('../config/compile.js');\n",
      'config/load.ts': "import { load } from '../outbound/compile.js';\nexport { load };\n",
    });
    expect(describeCycles(findCycles(importGraph(dir)))).toEqual(['config/compile.ts → inbound/index.ts → config/compile.ts']);
  });

  it('names every file of a knot, and ignores imports in comments and outside the tree', () => {
    const dir = tree({
      'a.ts': "import './b.js';\nimport './c.js';\nimport '../outside.js';\n",
      'b.ts': "import './a.js';\n",
      'c.ts': "import './a.js';\n",
      'd.ts': "// import './e.js';\nexport const text = \"import './e.js'\";\n",
      'e.ts': "import './d.js';\n",
    });
    expect(describeCycles(findCycles(importGraph(dir)))).toEqual(['a.ts → b.ts → a.ts', 'c.ts → a.ts → c.ts']);
  });

  it('finds nothing in a tree whose arrows run one way', () => {
    const dir = tree({
      'main.ts': "import './inbound/gateway.js';\nimport './shared/log.js';\n",
      'inbound/gateway.ts': "import '../shared/log.js';\nimport type { X } from '../config/schema.js';\n",
      'shared/log.ts': "import type { X } from '../config/schema.js';\n",
      'config/schema.ts': 'export type X = 1;\n',
    });
    expect(findCycles(importGraph(dir))).toEqual([]);
  });
});
