/**
 * Certificate path checking for `inspect --ca`, the kit and tests: leaf → intermediates → a
 * trusted root, each link checked by OpenSSL (issuer name / AKI / keyCertSign via checkIssued,
 * then the signature), every certificate on the path within its validity window, every issuer a
 * CA. No revocation: the scheme's CAs publish no CRLs our users can reach offline.
 */
import type { CertificateInfo } from './certificate.js';

export interface ChainResult {
  readonly ok: boolean;
  /** Subjects from the leaf to the trust anchor (as far as the path was built). */
  readonly path: readonly string[];
  /** Why the chain does not verify; absent when ok. */
  readonly error?: string;
}

export interface VerifyChainOptions {
  /** Trust anchors. */
  roots: readonly CertificateInfo[];
  /** Untrusted certificates that may complete the path. */
  intermediates?: readonly CertificateInfo[];
  /** Default: now. */
  at?: Date;
  /** When given, the leaf's extendedKeyUsage (if present) must allow it. */
  purpose?: 'serverAuth' | 'clientAuth';
}

const MAX_DEPTH = 8;

export function verifyChain(leaf: CertificateInfo, options: VerifyChainOptions): ChainResult {
  const at = options.at ?? new Date();
  const path: string[] = [leaf.subjectText];
  const fail = (error: string): ChainResult => ({ ok: false, path, error });

  const eku = leaf.extensions.extKeyUsage?.usages;
  if (options.purpose && eku && !eku.includes(options.purpose) && !eku.includes('anyExtendedKeyUsage')) {
    return fail(`'${leaf.subjectText}' is not valid for ${options.purpose} (extendedKeyUsage: ${eku.join(', ')})`);
  }

  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const timeProblem = validityProblem(current, at);
    if (timeProblem) return fail(timeProblem);
    if (options.roots.some((r) => r.fingerprintSha256 === current.fingerprintSha256)) return { ok: true, path };

    const root = options.roots.find((r) => issued(current, r));
    if (root) {
      path.push(root.subjectText);
      if (!root.isCa) return fail(`issuer '${root.subjectText}' is not a CA certificate`);
      const rootProblem = validityProblem(root, at);
      return rootProblem ? fail(rootProblem) : { ok: true, path };
    }
    const next = (options.intermediates ?? []).find((i) => i.fingerprintSha256 !== current.fingerprintSha256 && issued(current, i));
    if (!next) {
      if (current.selfIssued) return fail(`'${current.subjectText}' is a root that is not among the trusted CA certificates`);
      const named = [...options.roots, ...(options.intermediates ?? [])].find(
        (c) => c.fingerprintSha256 !== current.fingerprintSha256 && c.subjectText === current.issuerText,
      );
      return fail(
        named
          ? `'${current.subjectText}' names '${current.issuerText}' as issuer but its signature does not verify with that certificate's key`
          : `no issuer for '${current.subjectText}' (issuer '${current.issuerText}') among the given CA certificates`,
      );
    }
    if (!next.isCa) return fail(`issuer '${next.subjectText}' is not a CA certificate`);
    path.push(next.subjectText);
    current = next;
  }
  return fail(`certificate path longer than ${MAX_DEPTH}`);
}

function issued(child: CertificateInfo, issuer: CertificateInfo): boolean {
  try {
    return child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validityProblem(cert: CertificateInfo, at: Date): string | undefined {
  if (cert.notAfter.getTime() < at.getTime()) return `'${cert.subjectText}' expired on ${cert.notAfter.toISOString()}`;
  if (cert.notBefore.getTime() > at.getTime()) return `'${cert.subjectText}' is not valid before ${cert.notBefore.toISOString()}`;
  return undefined;
}
