/**
 * Compile a validated config into the runtime snapshot: every referenced file read and checked
 * (certificate matches key, chain parses, keys import), TLS contexts built, CIDR matchers and
 * routes compiled. Problems are collected with the config key they belong to, so check-config and
 * a failed reload report all of them at once. The snapshot is immutable; reload builds a new one.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { compileInbound, type InboundRuntime } from '../inbound/compile.js';
import { compileOutbound, type OutboundRuntime } from '../outbound/compile.js';
import { fingerprint, type WatchKind } from '../shared/fingerprint.js';
import type { ConfigIssue } from './env.js';
import { deepFreeze } from './load.js';
import type { SidecarConfig } from './schema.js';

export interface Artefact {
  /** Stable name for metrics, e.g. `inbound.server-cert`, `peer-jws:payerfsp`. */
  readonly name: string;
  readonly kind: 'certificate' | 'jws-key';
  readonly fingerprint: string;
  readonly subject?: string;
  readonly notAfter?: Date;
}

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

export interface CompileContext {
  readonly config: SidecarConfig;
  /** The snapshot being replaced, if any: lets a loader keep old material for a file that broke. */
  readonly previous: RuntimeSnapshot | undefined;
  readonly now: Date;
  /** Read a referenced file and watch it; on failure records an issue under `key` and resolves undefined. */
  readFile(path: string, key: string): Promise<Buffer | undefined>;
  /** Watch a directory whose contents the caller reads itself (e.g. the peer JWS keys). */
  watchDirectory(path: string): Promise<void>;
  issue(key: string, message: string): void;
  artefact(a: Artefact): void;
}

export type CompileResult = { ok: true; snapshot: RuntimeSnapshot } | { ok: false; issues: ConfigIssue[] };

export async function compileSnapshot(config: SidecarConfig, opts: { previous?: RuntimeSnapshot; now?: Date } = {}): Promise<CompileResult> {
  const issues: ConfigIssue[] = [];
  const artefacts: Artefact[] = [];
  const watched = new Map<string, { kind: WatchKind; fingerprint: string }>();
  const ctx: CompileContext = {
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

/**
 * Parse every certificate in a PEM bundle. Records an issue under `key` for text that holds none
 * or a broken one.
 */
export function parseCertificates(ctx: CompileContext, pem: Buffer, key: string, path: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    ctx.issue(key, `'${path}' holds no PEM certificate`);
    return [];
  }
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch (err) {
      ctx.issue(key, `'${path}': unparsable certificate (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return out;
}

/** Record a certificate's expiry for metrics and flag one that is expired or not yet valid. */
export function recordCertificate(ctx: CompileContext, cert: X509Certificate, name: string, key: string): void {
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  ctx.artefact({ name, kind: 'certificate', fingerprint: cert.fingerprint256, subject: cert.subject.replace(/\n/g, ', '), notAfter });
  if (notAfter.getTime() <= ctx.now.getTime()) ctx.issue(key, `certificate '${cert.subject.replace(/\n/g, ', ')}' expired on ${notAfter.toISOString()}`);
  else if (notBefore.getTime() > ctx.now.getTime()) ctx.issue(key, `certificate '${cert.subject.replace(/\n/g, ', ')}' is not valid before ${notBefore.toISOString()}`);
}
