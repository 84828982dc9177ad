/**
 * The scheme's rules for certificate requests, and signing the other party's CSR under them.
 *
 * Source: Mojaloop PKI best practices (RSA ≥ 2048 with sha256WithRSAEncryption; subject with CN,
 * O and C; two-year certificates) plus what any CA must refuse (a request for a CA certificate,
 * a self-signature that does not verify). Every rule has a stable id; a refusal lists all the
 * rules broken, not just the first, so one round trip with the other party fixes everything.
 */
import {
  DEFAULT_LEAF_DAYS,
  checkWithinCa,
  issueCertificate,
  loadCa,
  resolveValidity,
  type CaMaterial,
  type CertificateInfo,
} from './certificate.js';
import { parseCsr, parseCsrPem, type CsrInfo } from './csr.js';
import { PkiPolicyError, type Violation } from './errors.js';
import { checkDnsName } from './extensions.js';
import type { KeyDescription } from './keys.js';
import { nameValues, normaliseSubject, subjectToAsn1, type NameAttribute, type SubjectFields } from './names.js';
import { looksLikePem } from './pem.js';

export interface CsrPolicy {
  /** Allowed key types. The scheme: RSA only. */
  readonly keyTypes: ReadonlyArray<'rsa' | 'ec'>;
  readonly minRsaBits: number;
  /** Allowed curves when `ec` is allowed. */
  readonly ecCurves: readonly string[];
  /** Allowed CSR signature algorithms, OpenSSL names. */
  readonly signatureAlgorithms: readonly string[];
  /** Subject attributes that must be present, exactly once. */
  readonly requiredSubject: ReadonlyArray<'CN' | 'O' | 'C'>;
  /** Longest certificate lifetime the signer may grant. */
  readonly maxDays: number;
}

export const SCHEME_POLICY: CsrPolicy = Object.freeze({
  keyTypes: ['rsa'],
  minRsaBits: 2048,
  ecCurves: ['P-256', 'P-384'],
  signatureAlgorithms: ['sha256WithRSAEncryption'],
  requiredSubject: ['CN', 'O', 'C'],
  maxDays: DEFAULT_LEAF_DAYS,
} as const);

/** The scheme policy plus EC P-256/P-384 keys with ECDSA SHA-256/384: for private test hubs only. */
export function withEc(policy: CsrPolicy = SCHEME_POLICY): CsrPolicy {
  return {
    ...policy,
    keyTypes: [...new Set([...policy.keyTypes, 'ec' as const])],
    signatureAlgorithms: [...new Set([...policy.signatureAlgorithms, 'ecdsa-with-SHA256', 'ecdsa-with-SHA384'])],
  };
}

/** Rule ids and what each demands: the list printed by `pki sign-csr --help` and docs/pki.md. */
export const POLICY_RULES: Readonly<Record<string, string>> = {
  'csr-signature': "the request's self-signature verifies with its own key (proof of possession)",
  'key-type': 'the key type is allowed (scheme: RSA)',
  'rsa-key-size': 'RSA keys have at least the minimum size (scheme: 2048 bits)',
  'ec-curve': 'EC keys, where allowed, use an allowed curve (P-256, P-384)',
  'signature-algorithm': 'the request is signed with an allowed algorithm (scheme: sha256WithRSAEncryption)',
  'subject-cn': 'the subject has exactly one CN',
  'subject-o': 'the subject has exactly one O',
  'subject-c': 'the subject has exactly one C, a two-letter upper-case ISO 3166 code',
  'ca-flag': 'the request does not ask for a CA certificate (basicConstraints CA:TRUE)',
  'ca-key-usage': 'the request does not ask for keyCertSign or cRLSign',
  eku: 'an extendedKeyUsage, if requested, includes the purpose being signed (clientAuth or serverAuth)',
  'san-type': 'subjectAltName entries are DNS names or IP addresses only',
  'san-dns': 'DNS subjectAltNames are valid host names',
  validity: 'the lifetime granted does not exceed the maximum (scheme: 730 days)',
};

export interface PolicyCheckOptions {
  /** What the certificate will be used for; decides the `eku` rule. Default `client`. */
  profile?: 'client' | 'server';
  /** Lifetime that will be granted; checked against `maxDays`. */
  days?: number;
}

type CsrInput = string | Uint8Array | CsrInfo;

function toCsr(input: CsrInput, source: string): CsrInfo {
  if (typeof input === 'string') return parseCsrPem(input, source);
  if (input instanceof Uint8Array) {
    return looksLikePem(input) ? parseCsrPem(Buffer.from(input).toString('utf8'), source) : parseCsr(input, source);
  }
  return input;
}

/** All violations of `policy` by the request (empty when it complies). Unparsable input throws PkiInputError. */
export function checkCsrPolicy(csrInput: CsrInput, policy: Partial<CsrPolicy> = {}, options: PolicyCheckOptions = {}): Violation[] {
  const p: CsrPolicy = { ...SCHEME_POLICY, ...policy };
  const csr = toCsr(csrInput, 'CSR');
  const out: Violation[] = [];
  const add: Add = (rule, message) => {
    out.push({ rule, message });
  };

  if (!csr.signatureValid) add('csr-signature', 'the self-signature does not verify with the request\'s public key');

  checkKey(csr.key, p, add);
  if (!p.signatureAlgorithms.includes(csr.signatureAlgorithm)) {
    add('signature-algorithm', `signed with ${csr.signatureAlgorithm}; allowed: ${p.signatureAlgorithms.join(', ')}`);
  }
  checkSubject(csr.subject, p, add);

  const ext = csr.extensions;
  if (ext.basicConstraints?.ca) add('ca-flag', 'the request asks for basicConstraints CA:TRUE');
  const caUsages = (ext.keyUsage?.usages ?? []).filter((u) => u === 'keyCertSign' || u === 'cRLSign');
  if (caUsages.length > 0) add('ca-key-usage', `the request asks for keyUsage ${caUsages.join(', ')}`);

  const purpose = (options.profile ?? 'client') === 'server' ? 'serverAuth' : 'clientAuth';
  const eku = ext.extKeyUsage?.usages;
  if (eku && !eku.includes(purpose) && !eku.includes('anyExtendedKeyUsage')) {
    add('eku', `the request asks for extendedKeyUsage ${eku.join(', ')} but is being signed for ${purpose}`);
  }

  const san = ext.subjectAltName;
  if (san) {
    const odd = [...san.uri.map((u) => `URI:${u}`), ...san.email.map((e) => `email:${e}`), ...san.other];
    if (odd.length > 0) add('san-type', `unsupported subjectAltName entries: ${odd.join(', ')}`);
    const badDns = san.dns.filter((d) => {
      try {
        checkDnsName(d);
        return false;
      } catch {
        return true;
      }
    });
    if (badDns.length > 0) add('san-dns', `invalid DNS names: ${badDns.join(', ')}`);
  }

  if (options.days !== undefined && options.days > p.maxDays) {
    add('validity', `${options.days} days requested; at most ${p.maxDays}`);
  }
  return out;
}

type Add = (rule: string, message: string) => void;

function checkKey(key: KeyDescription, p: CsrPolicy, add: Add): void {
  const allowed = p.keyTypes.map((t) => t.toUpperCase()).join(', ');
  if (key.type !== 'rsa' && key.type !== 'ec') add('key-type', `${key.text} key; allowed: ${allowed}`);
  else if (!p.keyTypes.includes(key.type)) add('key-type', `${key.text} key; allowed: ${allowed}`);
  else if (key.type === 'rsa' && (key.bits ?? 0) < p.minRsaBits) add('rsa-key-size', `RSA key of ${key.bits} bits; minimum ${p.minRsaBits}`);
  else if (key.type === 'ec' && !p.ecCurves.includes(key.curve ?? '')) add('ec-curve', `curve ${key.curve}; allowed: ${p.ecCurves.join(', ')}`);
}

function checkSubject(subject: readonly NameAttribute[], p: CsrPolicy, add: Add): void {
  for (const type of p.requiredSubject) {
    const rule = `subject-${type.toLowerCase()}`;
    const values = nameValues(subject, type);
    if (values.length === 0) add(rule, `the subject has no ${type}`);
    else if (values.length > 1) add(rule, `the subject has ${values.length} ${type} values`);
    else if ((values[0] ?? '').trim() === '') add(rule, `the subject ${type} is empty`);
    else if (type === 'C' && !/^[A-Z]{2}$/.test(values[0] ?? '')) add(rule, `C='${values[0]}' is not a two-letter upper-case country code`);
  }
}

/**
 * The same scheme rules applied to an issued certificate (what `pki inspect` reports): key and
 * signature for every certificate; subject CN/O/C for CA and TLS certificates (a self-signed JWS
 * certificate is only a wrapper for its key); the lifetime cap for TLS leaf certificates.
 */
export function checkCertificatePolicy(cert: CertificateInfo, policy: Partial<CsrPolicy> = {}): Violation[] {
  const p: CsrPolicy = { ...SCHEME_POLICY, ...policy };
  const out: Violation[] = [];
  const add: Add = (rule, message) => {
    out.push({ rule, message });
  };
  checkKey(cert.key, p, add);
  if (!p.signatureAlgorithms.includes(cert.signatureAlgorithm)) {
    add('signature-algorithm', `signed with ${cert.signatureAlgorithm}; allowed: ${p.signatureAlgorithms.join(', ')}`);
  }
  const eku = cert.extensions.extKeyUsage?.usages ?? [];
  const tls = eku.includes('serverAuth') || eku.includes('clientAuth');
  if (cert.isCa || tls) checkSubject(cert.subject, p, add);
  if (tls && !cert.isCa) {
    // One day of slack: issuers backdate notBefore a little for clock skew.
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
    if (days > p.maxDays + 1) add('validity', `lifetime of ${Math.round(days)} days; at most ${p.maxDays}`);
  }
  return out;
}

export interface SignCsrOptions {
  ca: CaMaterial;
  csrPem: string | Uint8Array;
  /** Default 730 (the scheme's lifetime). */
  days?: number;
  /** Default `client`: in the seed procedure each side signs the other's client CSR. */
  profile?: 'client' | 'server';
  policy?: Partial<CsrPolicy>;
  /** Tests: explicit dates (the `validity` rule then uses the span between them). */
  notBefore?: Date;
  notAfter?: Date;
  /**
   * Grant this subject instead of the request's. MCM's hub CSRs carry no subject at all, and the
   * hub reads our FQDN from the CN of the certificate we sign (mcm-api.md §4.1 step 6, §7.5); pair
   * it with a policy whose `requiredSubject` is empty.
   */
  subject?: SubjectFields;
}

export interface SigningPlan {
  readonly csr: CsrInfo;
  readonly profile: 'client' | 'server';
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly days: number;
  readonly issuerText: string;
  readonly violations: readonly Violation[];
}

/** Everything `signCsr` would do, without signing: what the CLI shows before asking for confirmation. */
export function planCsrSigning(options: SignCsrOptions): SigningPlan {
  const ca = loadCa(options.ca);
  const csr = toCsr(options.csrPem, 'CSR');
  const profile = options.profile ?? 'client';
  const validity = resolveValidity(
    {
      ...(options.days !== undefined ? { days: options.days } : {}),
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    },
    DEFAULT_LEAF_DAYS,
  );
  const days = options.notAfter
    ? Math.ceil((validity.notAfter.getTime() - validity.notBefore.getTime()) / 86_400_000)
    : (options.days ?? DEFAULT_LEAF_DAYS);
  checkWithinCa(ca, validity.notAfter);
  const violations = checkCsrPolicy(csr, options.policy ?? {}, { profile, days });
  return { csr, profile, ...validity, days, issuerText: ca.cert.subjectText, violations };
}

/**
 * Signs the other party's CSR with our CA after the policy checks; throws PkiPolicyError listing
 * every broken rule. The subject is copied byte for byte, SANs are copied from the request, and
 * the extensions come from the profile, never from the request (a CSR can ask, only we grant).
 */
export function signCsr(options: SignCsrOptions): { certPem: string; chainPem: string; certificate: CertificateInfo } {
  const plan = planCsrSigning(options);
  if (plan.violations.length > 0) throw new PkiPolicyError(plan.violations);
  const ca = loadCa(options.ca);
  const san = plan.csr.extensions.subjectAltName;
  const certificate = issueCertificate({
    profile: plan.profile,
    subjectName: options.subject ? subjectToAsn1(normaliseSubject(options.subject)) : plan.csr.subjectName,
    subjectKey: plan.csr.publicKey,
    issuer: ca,
    altNames: { dns: san?.dns ?? [], ip: san?.ip ?? [] },
    notBefore: plan.notBefore,
    notAfter: plan.notAfter,
  });
  return { certPem: certificate.pem, chainPem: certificate.pem + ca.chainPem, certificate };
}
