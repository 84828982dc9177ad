/**
 * Compile a validated config into the runtime snapshot: every referenced file read and checked
 * (certificate matches key, chain parses, keys import), TLS contexts built, CIDR matchers and
 * routes compiled. Problems are collected with the config key they belong to, so check-config and
 * a failed reload report all of them at once. The snapshot is immutable; reload builds a new one.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../config/env.js';
import { deepFreeze } from '../config/load.js';
import type { SidecarConfig } from '../config/schema.js';
import { compileInbound, type InboundRuntime } from '../inbound/compile.js';
import { compileOutbound, type OutboundRuntime } from '../outbound/compile.js';
import type { Artefact, CompileContext } from '../shared/compile-context.js';
import { fingerprint, type WatchKind } from '../shared/fingerprint.js';

export interface RuntimeSnapshot {
  readonly version: number;
  readonly loadedAt: Date;
  readonly config: SidecarConfig;
  readonly inbound: InboundRuntime | undefined;
  readonly outbound: OutboundRuntime | undefined;
  readonly artefacts: readonly Artefact[];
  /** Every file or directory the snapshot was built from, with its content fingerprint when read. */
  readonly watched: ReadonlyMap<string, { kind: WatchKind; fingerprint: string }>;
}

export type CompileResult = { ok: true; snapshot: RuntimeSnapshot } | { ok: false; issues: ConfigIssue[] };

export async function compileSnapshot(config: SidecarConfig, opts: { previous?: RuntimeSnapshot; now?: Date } = {}): Promise<CompileResult> {
  const issues: ConfigIssue[] = [];
  const artefacts: Artefact[] = [];
  const watched = new Map<string, { kind: WatchKind; fingerprint: string }>();
  const ctx: CompileContext<RuntimeSnapshot> = {
    config,
    previous: opts.previous,
    now: opts.now ?? new Date(),
    async readFile(path, key) {
      try {
        const bytes = await readFile(path);
        watched.set(path, { kind: 'file', fingerprint: createHash('sha256').update(bytes).digest('hex') });
        return bytes;
      } catch (err) {
        watched.set(path, { kind: 'file', fingerprint: await fingerprint(path, 'file') });
        issues.push({ path: key, message: `cannot read '${path}': ${describeFsError(err)}` });
        return undefined;
      }
    },
    async watchDirectory(path) {
      watched.set(path, { kind: 'directory', fingerprint: await fingerprint(path, 'directory') });
    },
    issue(key, message) {
      issues.push({ path: key, message });
    },
    artefact(a) {
      artefacts.push(a);
    },
  };

  const [inbound, outbound] = await Promise.all([
    config.inbound.enabled ? compileInbound(ctx) : undefined,
    config.outbound.enabled ? compileOutbound(ctx) : undefined,
  ]);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    snapshot: deepFreezeShallowRuntime({
      version: (opts.previous?.version ?? 0) + 1,
      loadedAt: ctx.now,
      config,
      inbound,
      outbound,
      artefacts,
      watched,
    }),
  };
}

/**
 * Freeze the snapshot's own fields. Runtime objects inside (KeyObjects, SecureContexts, Maps) are
 * immutable by construction and not plain data, so they are not walked.
 */
function deepFreezeShallowRuntime(s: RuntimeSnapshot): RuntimeSnapshot {
  deepFreeze(s.artefacts);
  return Object.freeze(s);
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}
