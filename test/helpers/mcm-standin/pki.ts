/**
 * The stand-in MCM's certificate work: the hub's subject-less CSR (MCM's node-forge `createCSR()`
 * called without parameters, mcm-api.md §7.5), the hub signing a DFSP CSR (Vault `pki/sign`,
 * §7.4), the CSRInfo / CertInfo shapes and the validation sets of §5, computed with our own PKI.
 *
 * Validations never block a write (§5, §8.10): every function here reports, none refuses.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { issueCertificate, loadCa, parseCertificates, type CaMaterial, type CertificateInfo } from '../../../src/crypto/pki/certificate.js';
import { verifyChain } from '../../../src/crypto/pki/chain.js';
import { parseCsrPem, type CsrInfo } from '../../../src/crypto/pki/csr.js';
import { sameKey } from '../../../src/crypto/pki/keys.js';
import { normaliseSubject, subjectToAsn1, type NameAttribute, type SubjectFields } from '../../../src/crypto/pki/names.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export type ValidationResult = 'VALID' | 'INVALID' | 'NOT_AVAILABLE';

export interface Validation {
  /** A string, except for the JWS quirk of §5 (an array of two codes). */
  validationCode: string | string[];
  performed: boolean;
  result: ValidationResult;
  message: string;
}

export interface SubjectInfo {
  CN?: string;
  O?: string;
  OU?: string;
  C?: string;
  L?: string;
  ST?: string;
  E?: string;
}

export interface SubjectAltNameInfo {
  dns: string[];
  ips: string[];
  uris: string[];
  emailAddresses: string[];
}

export interface CsrInfoJson {
  subject: SubjectInfo;
  extensions: { subjectAltName: SubjectAltNameInfo };
  signatureAlgorithm: string;
  publicKeyLength: number | undefined;
}

export interface CertInfoJson extends CsrInfoJson {
  issuer: SubjectInfo;
  /** Lower-case hex. */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
}

const SUBJECT_KEYS: Readonly<Record<string, keyof SubjectInfo>> = {
  CN: 'CN',
  O: 'O',
  OU: 'OU',
  C: 'C',
  L: 'L',
  ST: 'ST',
  emailAddress: 'E',
};

function subjectInfo(attrs: readonly NameAttribute[]): SubjectInfo {
  const out: SubjectInfo = {};
  for (const a of attrs) {
    const key = SUBJECT_KEYS[a.type];
    if (key && out[key] === undefined) out[key] = a.value;
  }
  return out;
}

function altNames(ext: CsrInfo['extensions']): SubjectAltNameInfo {
  const san = ext.subjectAltName;
  return { dns: [...(san?.dns ?? [])], ips: [...(san?.ip ?? [])], uris: [...(san?.uri ?? [])], emailAddresses: [...(san?.email ?? [])] };
}

export function csrInfoOf(csr: CsrInfo): CsrInfoJson {
  return {
    subject: subjectInfo(csr.subject),
    extensions: { subjectAltName: altNames(csr.extensions) },
    signatureAlgorithm: csr.signatureAlgorithm,
    publicKeyLength: csr.key.bits,
  };
}

export function certInfoOf(cert: CertificateInfo): CertInfoJson {
  return {
    subject: subjectInfo(cert.subject),
    issuer: subjectInfo(cert.issuer),
    extensions: { subjectAltName: altNames(cert.extensions) },
    serialNumber: cert.serial.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    signatureAlgorithm: cert.signatureAlgorithm,
    publicKeyLength: cert.key.bits,
  };
}

/** The CSR, or undefined when the text is not a PKCS#10 request (the caller decides the error). */
export function tryParseCsr(pem: string): CsrInfo | undefined {
  try {
    return parseCsrPem(pem, 'CSR');
  } catch {
    return undefined;
  }
}

/** Every certificate of a PEM text, or undefined when there is none or one does not parse. */
export function tryParseCertificates(pem: string | undefined): CertificateInfo[] | undefined {
  if (typeof pem !== 'string' || pem.trim() === '') return undefined;
  try {
    const certs = parseCertificates(pem, 'certificate');
    return certs.length > 0 ? certs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The hub's key and a CSR with no subject and no attributes, made exactly the way MCM makes it:
 * node-forge `createCertificationRequest()`, public key set, SHA-256 self-signature, nothing else
 * (§7.5). The key itself comes from node's native RSA generation: forge's pure-JS generation is
 * seconds per key. forge writes PEM with CRLF line ends; they are kept, since MCM serves its
 * CSRs the way forge wrote them.
 */
export async function createSubjectlessCsr(bits: number): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  csr.sign(forgeKey, forge.md.sha256.create());
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, csrPem: forge.pki.certificationRequestToPem(csr) };
}

export interface CsrRequestingOptions {
  /** Subject fields by short name (CN, O, C, ...); none by default, like MCM's own CSRs. */
  subject?: Record<string, string>;
  /** Ask for basicConstraints CA:TRUE (critical) and keyUsage keyCertSign: a CSR no DFSP should sign. */
  askCa?: boolean;
  /** DNS subjectAltNames to ask for. */
  dns?: string[];
  keyBits?: number;
}

/**
 * A CSR made with node-forge that asks for whatever a test needs, e.g. a malicious hub CSR
 * asking for CA:TRUE (`createOutboundEnrollment(id, { csrPem, keyPem })`). src/crypto/pki's
 * createCsr only makes requests the scheme allows.
 */
export async function createCsrRequesting(options: CsrRequestingOptions = {}): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: options.keyBits ?? 2048, publicExponent: 0x10001 });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  if (options.subject) csr.setSubject(Object.entries(options.subject).map(([shortName, value]) => ({ shortName, value })));
  const extensions: Array<Record<string, unknown>> = [];
  if (options.askCa) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  }
  if (options.dns?.length) extensions.push({ name: 'subjectAltName', altNames: options.dns.map((value) => ({ type: 2, value })) });
  if (extensions.length > 0) csr.setAttributes([{ name: 'extensionRequest', extensions }]);
  csr.sign(forgeKey, forge.md.sha256.create());
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, csrPem: forge.pki.certificationRequestToPem(csr) };
}

/**
 * The hub signing a DFSP's CSR (Vault `pki/sign/<role>`): the CSR's subject and SANs are kept
 * (Vault's `use_csr_common_name` default), the profile is a TLS client certificate, the lifetime
 * is capped at the CA's own expiry as Vault does. Nothing in the CSR is refused: Vault signs
 * what its role allows, and the role here allows everything a client certificate can be.
 */
export function signAsHub(hubCa: CaMaterial, csr: CsrInfo, validity: { notBefore: Date; notAfter: Date }): string {
  const ca = loadCa(hubCa, 'hub CA');
  const notAfter = new Date(Math.min(validity.notAfter.getTime(), ca.cert.notAfter.getTime()));
  const san = csr.extensions.subjectAltName;
  return issueCertificate({
    profile: 'client',
    subjectName: csr.subjectName,
    subjectKey: csr.publicKey,
    issuer: ca,
    altNames: { dns: san?.dns ?? [], ip: san?.ip ?? [] },
    notBefore: validity.notBefore,
    notAfter,
  }).pem;
}

export interface SignCsrWithSubjectOptions {
  ca: CaMaterial;
  csrPem: string;
  /** The subject the signer puts in the certificate, whatever the CSR says (or does not say). */
  subject: SubjectFields;
  dns?: readonly string[];
  ip?: readonly string[];
  days?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Default `client`. */
  profile?: 'client' | 'server';
}

/**
 * What a DFSP's Vault does with the hub's subject-less CSR (`pki/sign/<role>` with
 * `common_name=MOJALOOP_CONNECTOR_FQDN`, §7.5): a certificate for the CSR's key with a subject
 * chosen by the signer. src/crypto/pki's signCsr copies the CSR's subject byte for byte and
 * refuses a request without CN/O/C under the scheme policy, so tests use this instead.
 */
export function signCsrWithSubject(options: SignCsrWithSubjectOptions): { certPem: string; chainPem: string } {
  const ca = loadCa(options.ca, 'signing CA');
  const csr = parseCsrPem(options.csrPem, 'CSR');
  const day = 86_400_000;
  const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.days ?? 365) * day);
  const cert = issueCertificate({
    profile: options.profile ?? 'client',
    subjectName: subjectToAsn1(normaliseSubject(options.subject)),
    subjectKey: csr.publicKey,
    issuer: ca,
    altNames: { dns: options.dns ?? [], ip: options.ip ?? [] },
    notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
  });
  return { certPem: cert.pem, chainPem: cert.pem + ca.chainPem };
}

// ---------------------------------------------------------------------------------------------
// Validations (§5)

function check(code: string | string[], ok: boolean, valid: string, invalid: string): Validation {
  return { validationCode: code, performed: true, result: ok ? 'VALID' : 'INVALID', message: ok ? valid : invalid };
}

function notAvailable(code: string, message: string): Validation {
  return { validationCode: code, performed: false, result: 'NOT_AVAILABLE', message };
}

/** INVALID if any validation is INVALID, otherwise VALID (§5). */
export function validationStateOf(validations: readonly Validation[]): 'VALID' | 'INVALID' {
  return validations.some((v) => v.result === 'INVALID') ? 'INVALID' : 'VALID';
}

const CSR_ALGORITHMS = new Set(['sha256WithRSAEncryption', 'sha512WithRSAEncryption']);
const CERT_ALGORITHMS = new Set(['sha256WithRSAEncryption', 'sha384WithRSAEncryption', 'sha512WithRSAEncryption', 'ecdsa-with-SHA256', 'ecdsa-with-SHA384']);

export interface EnrollmentValidationInput {
  csr: CsrInfo;
  /** The certificate text as stored (may be garbage); undefined before signing or upload. */
  certificatePem?: string;
  /** The private key of the CSR when the MCM holds it (outbound: the hub's key). */
  keyPem?: string;
  /** MCM's PRIVATE_KEY_LENGTH: names the key-length validation and is its minimum. */
  keyLength: number;
  direction: 'inbound' | 'outbound';
  /** Outbound: the DFSP CA stored with POST /dfsps/{id}/ca (root + intermediates), if any. */
  dfspCa?: { rootCertificate: string; intermediateChain: string };
  now?: Date;
}

/** The inbound set, or the outbound one (inbound minus SAME_SUBJECT_INFO, plus SIGNED_BY_DFSP_CA). */
export function enrollmentValidations(input: EnrollmentValidationInput): Validation[] {
  const { csr } = input;
  const now = input.now ?? new Date();
  const out: Validation[] = [
    check('CSR_SIGNATURE_VALID', csr.signatureValid, 'CSR signature is valid', 'CSR signature is not valid'),
    check(
      'CSR_SIGNATURE_ALGORITHM',
      CSR_ALGORITHMS.has(csr.signatureAlgorithm),
      `CSR signature algorithm ${csr.signatureAlgorithm} is allowed`,
      `CSR signature algorithm ${csr.signatureAlgorithm} is not one of sha256WithRSAEncryption, sha512WithRSAEncryption`,
    ),
    check(
      `CSR_PUBLIC_KEY_LENGTH_${input.keyLength}`,
      csr.key.type === 'rsa' && (csr.key.bits ?? 0) >= input.keyLength,
      `CSR public key length is ${input.keyLength} or more`,
      `CSR public key is ${csr.key.text}; an RSA key of ${input.keyLength} bits or more is required`,
    ),
  ];
  const certCodes = [
    'CSR_CERT_SAME_PUBLIC_KEY',
    ...(input.direction === 'inbound' ? ['CSR_CERT_SAME_SUBJECT_INFO'] : []),
    'CERTIFICATE_VALIDITY',
    'CERTIFICATE_SIGNATURE_ALGORITHM',
    'CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH',
    ...(input.direction === 'outbound' ? ['CERTIFICATE_SIGNED_BY_DFSP_CA'] : []),
  ];
  if (input.certificatePem === undefined) {
    for (const code of certCodes) out.push(notAvailable(code, 'No certificate yet'));
    return out;
  }
  const certs = tryParseCertificates(input.certificatePem);
  const cert = certs?.[0];
  if (!cert) {
    for (const code of certCodes) out.push(check(code, false, '', 'Could not parse the certificate'));
    return out;
  }
  out.push(check('CSR_CERT_SAME_PUBLIC_KEY', sameKey(cert.publicKey, csr.publicKey), 'The certificate is for the CSR public key', 'The certificate public key is not the CSR public key'));
  if (input.direction === 'inbound') {
    const a = subjectInfo(csr.subject);
    const b = subjectInfo(cert.subject);
    const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    out.push(check('CSR_CERT_SAME_SUBJECT_INFO', same, 'The certificate subject is the CSR subject', `The certificate subject '${cert.subjectText}' differs from the CSR subject '${csr.subjectText}'`));
  }
  const inWindow = cert.notBefore.getTime() <= now.getTime() && now.getTime() <= cert.notAfter.getTime();
  out.push(check('CERTIFICATE_VALIDITY', inWindow, 'The certificate is within its validity period', `The certificate is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`));
  out.push(
    check(
      'CERTIFICATE_SIGNATURE_ALGORITHM',
      CERT_ALGORITHMS.has(cert.signatureAlgorithm),
      `Certificate signature algorithm ${cert.signatureAlgorithm} is allowed`,
      `Certificate signature algorithm ${cert.signatureAlgorithm} is not allowed`,
    ),
  );
  if (input.keyPem === undefined) {
    out.push(notAvailable('CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH', 'No private key available'));
  } else {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(input.keyPem);
    } catch {
      key = undefined;
    }
    out.push(check('CSR_CERT_PUBLIC_PRIVATE_KEY_MATCH', key !== undefined && sameKey(key, cert.publicKey), 'The certificate matches the private key', 'The certificate does not match the private key'));
  }
  if (input.direction === 'outbound') {
    const roots = tryParseCertificates(input.dfspCa?.rootCertificate);
    if (!roots) {
      out.push(notAvailable('CERTIFICATE_SIGNED_BY_DFSP_CA', 'No DFSP CA'));
    } else {
      const chain = verifyChain(cert, {
        roots,
        intermediates: [...(tryParseCertificates(input.dfspCa?.intermediateChain) ?? []), ...(certs?.slice(1) ?? [])],
        at: now,
      });
      out.push(check('CERTIFICATE_SIGNED_BY_DFSP_CA', chain.ok, 'The certificate is signed by the DFSP CA', `The certificate is not signed by the DFSP CA: ${chain.error ?? ''}`));
    }
  }
  return out;
}

/** DFSP CA (§7.3): VERIFY_ROOT_CERTIFICATE, VERIFY_CHAIN_CERTIFICATES, CA_CERTIFICATE_USAGE. */
export function caValidations(rootCertificate: string, intermediateChain: string, now = new Date()): Validation[] {
  const out: Validation[] = [];
  const roots = rootCertificate ? tryParseCertificates(rootCertificate) : undefined;
  const chain = intermediateChain ? tryParseCertificates(intermediateChain) : undefined;
  const root = roots?.[0];
  if (!rootCertificate) {
    out.push(notAvailable('VERIFY_ROOT_CERTIFICATE', 'No root certificate'));
  } else if (!root) {
    out.push(check('VERIFY_ROOT_CERTIFICATE', false, '', 'Could not parse the root certificate'));
  } else {
    let selfSigned = false;
    try {
      selfSigned = root.selfIssued && root.x509.verify(root.publicKey);
    } catch {
      selfSigned = false;
    }
    const current = root.notBefore.getTime() <= now.getTime() && now.getTime() <= root.notAfter.getTime();
    out.push(check('VERIFY_ROOT_CERTIFICATE', selfSigned && current, 'The root certificate is self-signed and current', `The root certificate '${root.subjectText}' is not a current self-signed certificate`));
  }
  if (!intermediateChain) {
    out.push(notAvailable('VERIFY_CHAIN_CERTIFICATES', 'No intermediate chain'));
  } else if (!chain) {
    out.push(check('VERIFY_CHAIN_CERTIFICATES', false, '', 'Could not parse the intermediate chain'));
  } else {
    const first = chain[0] as CertificateInfo;
    const result = root ? verifyChain(first, { roots: [root], intermediates: chain.slice(1), at: now }) : { ok: false, error: 'no root certificate' };
    out.push(check('VERIFY_CHAIN_CERTIFICATES', result.ok, 'The intermediate chain verifies against the root', `The intermediate chain does not verify: ${result.error ?? ''}`));
  }
  const ca = chain?.[0] ?? root;
  if (!ca) {
    out.push(notAvailable('CA_CERTIFICATE_USAGE', 'No CA certificate'));
  } else {
    const ku = ca.extensions.keyUsage;
    const ok = ca.isCa && (!ku || ku.usages.includes('keyCertSign'));
    out.push(check('CA_CERTIFICATE_USAGE', ok, 'The certificate may sign certificates', `'${ca.subjectText}' is not a CA certificate that may sign certificates`));
  }
  return out;
}

/** JWS (§5): one validation whose code is, by MCM's quirk, an array; VALID if the PEM is a public key. */
export function jwsValidations(publicKey: string): Validation[] {
  let ok = false;
  try {
    createPublicKey(publicKey);
    ok = true;
  } catch {
    ok = false;
  }
  return [check(['CERTIFICATE_VALIDITY', 'CERTIFICATE_PUBLIC_KEY_LENGTH_2048'], ok, 'The public key is valid', 'Could not parse the public key')];
}

/** Server certificate (§7.6) validations. */
export function serverCertValidations(input: { rootCertificate?: string; intermediateChain?: string; serverCertificate?: string; keyLength: number; now?: Date }): Validation[] {
  const now = input.now ?? new Date();
  const server = tryParseCertificates(input.serverCertificate)?.[0];
  const roots = tryParseCertificates(input.rootCertificate);
  const chain = tryParseCertificates(input.intermediateChain) ?? [];
  const out: Validation[] = [];
  if (!server) {
    for (const code of ['CERTIFICATE_USAGE_SERVER', 'CERTIFICATE_VALIDITY', 'CERTIFICATE_CHAIN', `CERTIFICATE_PUBLIC_KEY_LENGTH_${input.keyLength}`]) {
      out.push(input.serverCertificate ? check(code, false, '', 'Could not parse the server certificate') : notAvailable(code, 'No server certificate'));
    }
  } else {
    const eku = server.extensions.extKeyUsage?.usages;
    out.push(check('CERTIFICATE_USAGE_SERVER', !eku || eku.includes('serverAuth'), 'The certificate may be used by a TLS server', 'The certificate extendedKeyUsage does not allow serverAuth'));
    const inWindow = server.notBefore.getTime() <= now.getTime() && now.getTime() <= server.notAfter.getTime();
    out.push(check('CERTIFICATE_VALIDITY', inWindow, 'The certificate is within its validity period', 'The certificate is outside its validity period'));
    const result = roots ? verifyChain(server, { roots, intermediates: chain, at: now }) : undefined;
    out.push(result ? check('CERTIFICATE_CHAIN', result.ok, 'The certificate chain verifies', `The certificate chain does not verify: ${result.error ?? ''}`) : notAvailable('CERTIFICATE_CHAIN', 'No root certificate'));
    out.push(check(`CERTIFICATE_PUBLIC_KEY_LENGTH_${input.keyLength}`, (server.key.bits ?? 0) >= input.keyLength, 'The key is long enough', `The key is ${server.key.text}`));
  }
  const caChecks = caValidations(input.rootCertificate ?? '', input.intermediateChain ?? '', now).filter((v) => v.validationCode !== 'CA_CERTIFICATE_USAGE');
  return [...out, ...caChecks];
}
