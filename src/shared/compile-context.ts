/**
 * What a gateway's compile step is handed while the runtime snapshot is built (src/runtime/compile.ts),
 * and the certificate helpers both gateways use with it. It lives below the gateways so they need
 * nothing from the layer that composes them (issue 14).
 */
import { X509Certificate } from 'node:crypto';
import type { SidecarConfig } from '../config/schema.js';

export interface Artefact {
  /** Stable name for metrics, e.g. `inbound.server-cert`, `peer-jws:payerfsp`. */
  readonly name: string;
  readonly kind: 'certificate' | 'jws-key';
  readonly fingerprint: string;
  readonly subject?: string;
  readonly notAfter?: Date;
}

/**
 * `Previous` is what a compile step reads of the snapshot being replaced: the composer hands over the
 * whole snapshot, a gateway declares only its own part (so this layer never names the snapshot type).
 */
export interface CompileContext<Previous = unknown> {
  readonly config: SidecarConfig;
  /** The snapshot being replaced, if any: lets a loader keep old material for a file that broke. */
  readonly previous: Previous | undefined;
  readonly now: Date;
  /** Read a referenced file and watch it; on failure records an issue under `key` and resolves undefined. */
  readFile(path: string, key: string): Promise<Buffer | undefined>;
  /** Watch a directory whose contents the caller reads itself (e.g. the peer JWS keys). */
  watchDirectory(path: string): Promise<void>;
  issue(key: string, message: string): void;
  artefact(a: Artefact): void;
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
