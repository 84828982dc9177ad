/**
 * Human-readable rendering of the JSON-safe summaries: aligned `label  value` lines, the same
 * vocabulary as `openssl x509 -text` where there is one. Pure string functions; the CLI decides
 * where the text goes.
 */
import type { ChainResult } from './chain.js';
import type { Violation } from './errors.js';
import type { SubjectAltNames } from './extensions.js';
import type { CertificateSummary, CsrSummary, InspectedItem, Inspection } from './inspect.js';

const LABEL_WIDTH = 13;

export function line(indent: string, label: string, value: string): string {
  return `${indent}${label.padEnd(LABEL_WIDTH)}${value}\n`;
}

export function formatSans(san: SubjectAltNames): string {
  const parts = [
    ...san.dns.map((d) => `DNS:${d}`),
    ...san.ip.map((i) => `IP:${i}`),
    ...san.uri.map((u) => `URI:${u}`),
    ...san.email.map((e) => `email:${e}`),
    ...san.other,
  ];
  return parts.length > 0 ? parts.join(', ') : '(none)';
}

function days(n: number): string {
  return `${n} day${Math.abs(n) === 1 ? '' : 's'}`;
}

/** `2026-01-02T03:04:05Z`: certificate times have whole seconds, so the `.000` is noise. */
export function shortTime(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

export function formatValidity(c: Pick<CertificateSummary, 'notBefore' | 'notAfter' | 'daysLeft' | 'status'>): string {
  const when = `${shortTime(c.notBefore)} .. ${shortTime(c.notAfter)}`;
  if (c.status === 'expired') return `${when} (EXPIRED ${days(-c.daysLeft)} ago)`;
  if (c.status === 'not-yet-valid') return `${when} (NOT YET VALID)`;
  return `${when} (${days(c.daysLeft)} left)`;
}

function usage(c: CertificateSummary): string {
  const parts = [c.isCa ? `CA:TRUE${c.pathLength !== undefined ? ` pathlen:${c.pathLength}` : ''}` : 'CA:FALSE'];
  if (c.keyUsage.length > 0) parts.push(c.keyUsage.join(', '));
  if (c.extKeyUsage.length > 0) parts.push(`EKU ${c.extKeyUsage.join(', ')}`);
  return parts.join('; ');
}

export function formatCertificate(c: CertificateSummary, indent = '  '): string {
  return (
    line(indent, 'subject', c.subject) +
    line(indent, 'issuer', c.selfIssued ? `${c.issuer} (self-issued)` : c.issuer) +
    line(indent, 'validity', formatValidity(c)) +
    line(indent, 'key', c.key.text) +
    line(indent, 'signature', c.signatureAlgorithm) +
    line(indent, 'usage', usage(c)) +
    line(indent, 'SANs', formatSans(c.san)) +
    line(indent, 'serial', c.serial) +
    line(indent, 'sha256', c.fingerprints.sha256) +
    line(indent, 'spki sha256', c.fingerprints.spkiSha256)
  );
}

export function formatCsr(c: CsrSummary, indent = '  '): string {
  const asks = [
    c.requested.ca ? 'CA:TRUE' : undefined,
    c.requested.keyUsage.length > 0 ? c.requested.keyUsage.join(', ') : undefined,
    c.requested.extKeyUsage.length > 0 ? `EKU ${c.requested.extKeyUsage.join(', ')}` : undefined,
  ].filter((x): x is string => x !== undefined);
  return (
    line(indent, 'subject', c.subject) +
    line(indent, 'key', c.key.text) +
    line(indent, 'signature', `${c.signatureAlgorithm} (${c.signatureValid ? 'self-signature OK' : 'SELF-SIGNATURE DOES NOT VERIFY'})`) +
    line(indent, 'requests', asks.length > 0 ? asks.join('; ') : '(no extensions)') +
    line(indent, 'SANs', formatSans(c.requested.san)) +
    line(indent, 'sha256', c.fingerprints.sha256) +
    line(indent, 'spki sha256', c.fingerprints.spkiSha256)
  );
}

function formatPolicy(violations: readonly Violation[], indent: string): string {
  return violations.length === 0
    ? line(indent, 'policy', 'OK (scheme rules)')
    : line(indent, 'policy', `${violations.length} finding${violations.length === 1 ? '' : 's'}:`) + formatViolations(violations, `${indent}  `);
}

export function formatItem(item: InspectedItem, indent = '  '): string {
  switch (item.kind) {
    case 'certificate':
      return (
        `${indent}certificate${item.certificate.isCa ? ' (CA)' : ''}\n` +
        formatCertificate(item.certificate, `${indent}  `) +
        formatPolicy(item.policy, `${indent}  `)
      );
    case 'csr':
      return `${indent}certificate request\n${formatCsr(item.csr, `${indent}  `)}${formatPolicy(item.policy, `${indent}  `)}`;
    case 'private-key':
      return (
        `${indent}private key (${item.encoding})\n` +
        (item.key ? line(`${indent}  `, 'key', item.key.text) + line(`${indent}  `, 'spki sha256', item.spkiSha256 ?? '') : line(`${indent}  `, 'note', item.note ?? ''))
      );
    case 'public-key':
      return `${indent}public key\n${line(`${indent}  `, 'key', item.key.text)}${line(`${indent}  `, 'spki sha256', item.spkiSha256)}`;
    case 'ignored':
      return `${indent}${item.label.toLowerCase()} (ignored: ${item.note})\n`;
  }
}

export function formatChain(chain: ChainResult, indent = '  '): string {
  return chain.ok
    ? line(indent, 'chain', `OK: ${chain.path.join(' -> ')}`)
    : line(indent, 'chain', `FAILED: ${chain.error ?? 'does not verify'}`);
}

export function formatInspection(name: string, inspection: Inspection): string {
  let out = `${name} (${inspection.format.toUpperCase()}, ${inspection.items.length} item${inspection.items.length === 1 ? '' : 's'})\n`;
  for (const item of inspection.items) out += formatItem(item);
  if (inspection.chain) out += formatChain(inspection.chain);
  return out;
}

export function formatViolations(violations: readonly Violation[], indent = '  '): string {
  return violations.map((v) => `${indent}- ${v.rule}: ${v.message}\n`).join('');
}
