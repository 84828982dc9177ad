/** Types for scripts/import-graph.mjs (read by test/contract/import-graph.test.ts). */
export function importGraph(root: string): Map<string, string[]>;
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][];
export function describeCycles(cycles: readonly (readonly string[])[], prefix?: string): string[];
