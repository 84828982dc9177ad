// The import graph of a source tree and its circles. Used by scripts/lint.mjs and by
// test/contract/import-graph.test.ts: the layers run cli → main → gateways → crypto → shared → config
// only while no module reaches back up (issue 14).
//
// Every relative import counts, `import type` and `export … from` included: a type-only edge erases
// at run time but still ties the two modules' designs together, and it is how the circles of issue 14
// began. Imports are read with TypeScript's own pre-processor, so comments and strings that look like
// imports are not edges.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

function* sourceFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (/\.(m|c)?tsx?$/.test(name) && !name.endsWith('.d.ts')) yield full;
  }
}

/** `./x.js` written in a .ts file names `./x.ts` (NodeNext); anything outside `root` is not an edge. */
function resolveImport(from, specifier, root) {
  const target = resolve(dirname(from), specifier);
  const candidates = [target, target.replace(/\.(m|c)?js$/, '.$1ts'), target.replace(/\.(m|c)?js$/, '.$1tsx'), `${target}.ts`, join(target, 'index.ts')];
  for (const c of candidates) {
    if (c.startsWith(`${root}/`) && existsSync(c) && statSync(c).isFile() && /\.(m|c)?tsx?$/.test(c)) return c;
  }
  return undefined;
}

/** Map from each file (path relative to `root`) to the files it imports, both sorted. */
export function importGraph(root) {
  const abs = resolve(root);
  const graph = new Map();
  for (const file of sourceFiles(abs)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('./') && !fileName.startsWith('../')) continue;
      const target = resolveImport(file, fileName, abs);
      if (target !== undefined) targets.add(relative(abs, target));
    }
    graph.set(relative(abs, file), [...targets].sort());
  }
  return graph;
}

/**
 * The circles in the graph: its strongly connected components (Tarjan), each shown as concrete paths
 * that start and end on the same file, `['a.ts', 'b.ts', 'a.ts']`, enough of them to name every file
 * of the component. Empty when there is none.
 */
export function findCycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];

  // Iterative, so a deep tree cannot overflow the call stack.
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(to)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent), low.get(frame.node)));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && (graph.get(member) ?? []).includes(member);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }

  // One circle per member not already on a reported one, so every file caught in a knot is named.
  const circles = [];
  for (const component of components) {
    const members = new Set(component);
    const named = new Set();
    for (const member of component) {
      if (named.has(member)) continue;
      const circle = shortestCircle(graph, members, member);
      circle.forEach((f) => named.add(f));
      circles.push(circle);
    }
  }
  return circles.sort((a, b) => a.join('\0').localeCompare(b.join('\0')));
}

/** The shortest path from `start` back to itself inside one component (breadth first). */
function shortestCircle(graph, members, start) {
  const cameFrom = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const to of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = node; at !== start; at = cameFrom.get(at)) path.push(at);
        path.push(start);
        return [path[0], ...path.slice(1, -1).reverse(), start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** One line per circle: `src/a.ts → src/b.ts → src/a.ts`. */
export function describeCycles(cycles, prefix = '') {
  return cycles.map((c) => c.map((f) => `${prefix}${f}`).join(' → '));
}
