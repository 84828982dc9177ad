/**
 * The inbound pipeline is declared in one place (src/inbound/pipeline.ts); the README and
 * docs/inbound.md draw it. This keeps the drawings in step with the declaration: every stage, in
 * order, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createInboundPipeline } from '../../src/inbound/pipeline.js';
import type { CorePools } from '../../src/inbound/core-pool.js';

const stages = createInboundPipeline({ pools: {} as CorePools }).map((s) => s.name);

/** Stage names at the start of the lines of the code block that follows (or contains) `marker`. */
function drawnStages(text: string, marker: string, inside = false): string[] {
  const start = text.indexOf(marker);
  expect(start).toBeGreaterThan(-1);
  const from = inside ? start : text.indexOf('```', start) + 3;
  const block = text.slice(from, text.indexOf('```', from));
  return block
    .split('\n')
    .map((l) => /^\s{2}([a-z]+(?:-[a-z]+)+)\s/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

describe('the inbound pipeline drawings', () => {
  it('README lists every stage in order', () => {
    expect(drawnStages(readFileSync('README.md', 'utf8'), '**Inbound** (`src/inbound/pipeline.ts`)')).toEqual(stages);
  });
  it('docs/inbound.md lists every stage in order', () => {
    expect(drawnStages(readFileSync('docs/inbound.md', 'utf8'), 'request pipeline (src/inbound/pipeline.ts', true)).toEqual(stages);
  });
});
