/**
 * A renderer for the subset of kustomize that deploy/kubernetes/ uses, so the manifests can be
 * validated offline on a machine without kubectl: resources (files and directories), namespace,
 * configMapGenerator with disableNameSuffixHash (behavior create, or replace of a ConfigMap the
 * resources hold), images, and inline JSON 6902 patches (add, remove, replace, copy, test) with a
 * kind/name target. Anything else in a kustomization.yaml is an error here rather than silently
 * ignored, and where `kubectl kustomize` exists the tests compare both outputs.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

export type Resource = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Array<{ name: string; behavior?: 'create' | 'replace'; files?: string[]; literals?: string[] }>;
  generatorOptions?: { disableNameSuffixHash?: boolean };
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { kind: string; name: string }; patch: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator', 'generatorOptions', 'images', 'patches']);

export function renderKustomization(dir: string): Resource[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${dir}: kustomization key "${key}" is not supported by the test renderer`);
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') throw new Error(`${dir}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);

  const out: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) out.push(...renderKustomization(path));
    else out.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Resource).filter((r) => r !== null));
  }
  for (const gen of k.configMapGenerator ?? []) {
    if (k.generatorOptions?.disableNameSuffixHash !== true) throw new Error(`${dir}: the test renderer only supports generators with disableNameSuffixHash`);
    const data: Record<string, string> = {};
    for (const f of gen.files ?? []) {
      const [key, file] = f.includes('=') ? (f.split('=', 2) as [string, string]) : [f.split('/').pop() as string, f];
      data[key] = readFileSync(resolve(dir, file), 'utf8');
    }
    for (const l of gen.literals ?? []) {
      const i = l.indexOf('=');
      data[l.slice(0, i)] = l.slice(i + 1);
    }
    const existing = out.findIndex((r) => r.kind === 'ConfigMap' && r.metadata.name === gen.name);
    const behavior = gen.behavior ?? 'create';
    if (behavior === 'replace') {
      if (existing < 0) throw new Error(`${dir}: configMapGenerator ${gen.name}: behavior replace, but no such ConfigMap in the resources`);
      out[existing] = { ...out[existing], data } as Resource;
    } else if (behavior === 'create') {
      if (existing >= 0) throw new Error(`${dir}: configMapGenerator ${gen.name}: already exists (set behavior: replace)`);
      out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data });
    } else throw new Error(`${dir}: configMapGenerator ${gen.name}: behavior "${behavior as string}" is not supported by the test renderer`);
  }
  for (const p of k.patches ?? []) {
    const targets = out.filter((r) => r.kind === p.target.kind && r.metadata.name === p.target.name);
    if (targets.length === 0) throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} matches nothing`);
    const ops = parse(p.patch) as JsonPatchOp[];
    for (const r of targets) for (const op of ops) applyJsonPatch(r, op);
  }
  for (const img of k.images ?? []) for (const r of out) for (const c of containersOf(r)) c.image = retag(c.image, img);
  if (k.namespace) for (const r of out) r.metadata.namespace = k.namespace;
  return out;
}

export type Container = { name: string; image: string; [k: string]: unknown };

export function podSpecOf(r: Resource): Record<string, unknown> | undefined {
  const spec = r.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec;
}

export function containersOf(r: Resource): Container[] {
  const pod = podSpecOf(r);
  if (!pod) return [];
  return [...((pod.initContainers as Container[] | undefined) ?? []), ...((pod.containers as Container[] | undefined) ?? [])];
}

function retag(image: string, img: { name: string; newName?: string; newTag?: string }): string {
  const at = image.indexOf('@');
  const lastColon = image.lastIndexOf(':');
  const hasTag = lastColon > image.lastIndexOf('/') && at < 0;
  const name = at >= 0 ? image.slice(0, at) : hasTag ? image.slice(0, lastColon) : image;
  if (name !== img.name) return image;
  const suffix = img.newTag !== undefined ? `:${img.newTag}` : at >= 0 ? image.slice(at) : hasTag ? image.slice(lastColon) : '';
  return (img.newName ?? name) + suffix;
}

interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function pointerTokens(pointer: string): string[] {
  return pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(doc: unknown, pointer: string): unknown {
  let at = doc;
  for (const t of pointerTokens(pointer)) {
    if (at === null || typeof at !== 'object') throw new Error(`patch path ${pointer}: ${t} does not exist`);
    at = Array.isArray(at) ? at[Number(t)] : (at as Record<string, unknown>)[t];
    if (at === undefined) throw new Error(`patch path ${pointer}: ${t} does not exist`);
  }
  return at;
}

/** RFC 6902 add / replace / remove / copy / test on a parsed document. */
export function applyJsonPatch(doc: unknown, op: JsonPatchOp): void {
  if (op.op === 'test') {
    if (!isDeepStrictEqual(valueAt(doc, op.path), op.value)) throw new Error(`patch test failed: ${op.path} is not ${JSON.stringify(op.value)}`);
    return;
  }
  if (op.op === 'copy') {
    if (op.from === undefined) throw new Error(`patch copy to ${op.path}: no from`);
    applyJsonPatch(doc, { op: 'add', path: op.path, value: valueAt(doc, op.from) });
    return;
  }
  if (op.op !== 'add' && op.op !== 'replace' && op.op !== 'remove') throw new Error(`patch op ${String(op.op)} is not supported by the test renderer`);
  const tokens = pointerTokens(op.path);
  const last = tokens.pop();
  if (last === undefined) throw new Error(`bad patch path ${op.path}`);
  let parent = doc as Record<string, unknown> | unknown[];
  for (const t of tokens) {
    const next = Array.isArray(parent) ? parent[Number(t)] : parent[t];
    if (next === undefined || next === null || typeof next !== 'object') throw new Error(`patch path ${op.path}: ${t} does not exist`);
    parent = next as Record<string, unknown> | unknown[];
  }
  const value = structuredClone(op.value);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (op.op !== 'add' && i >= parent.length)) throw new Error(`patch path ${op.path}: bad index`);
    if (op.op === 'add') parent.splice(i, 0, value);
    else if (op.op === 'replace') parent[i] = value;
    else parent.splice(i, 1);
    return;
  }
  if (op.op !== 'add' && !(last in parent)) throw new Error(`patch path ${op.path}: nothing to ${op.op}`);
  if (op.op === 'remove') delete parent[last];
  else parent[last] = value;
}
