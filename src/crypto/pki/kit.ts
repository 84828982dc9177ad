/**
 * The onboarding kit: exactly what a DFSP hands the hub (server certificate, CA chain, client CSR,
 * JWS public key, the hub client certificate it signed), plus `manifest.json` (endpoint
 * information, fingerprints of every file, the checklist) and `CHECKLIST.md`.
 *
 * Every file in the kit is re-encoded from parsed public objects, never copied, so nothing the
 * operator pointed us at can smuggle a private key in; an input that holds a private key is
 * refused outright. Inputs are cross-checked (server certificate against the CA, client
 * certificate against the CSR's key, ...) because a kit that fails at the hub costs a round trip.
 */
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { type CertificateInfo } from './certificate.js';
import { verifyChain } from './chain.js';
import { type CsrInfo } from './csr.js';
import { PkiInputError, PkiPolicyError, PkiVerificationError } from './errors.js';
import { checkFspId } from './jws-keys.js';
import { publicKeyPem, spkiSha256 } from './keys.js';
import { readObjects, type PkiObject } from './inspect.js';
import { checkCsrPolicy } from './policy.js';
import type { KeyObject } from 'node:crypto';

export interface KitInputFile {
  /** Where it came from, for messages (a path). */
  readonly name: string;
  readonly data: Uint8Array | string;
}

export interface KitInput {
  fspId: string;
  /** Base URL the hub calls us on (our inbound listener): https only. */
  callbackUrl: string;
  /** Addresses or CIDRs our outbound calls to the hub come from (for the hub's allowlist). */
  egress: readonly string[];
  /** The hub's egress addresses, once received (for our inbound allowlist). */
  hubEgress?: readonly string[];
  /** Ours, to share. */
  serverCert?: KitInputFile;
  caCert?: KitInputFile;
  csr?: KitInputFile;
  jwsPublicKey?: KitInputFile;
  /** The hub's client certificate we signed with our CA (`pki sign-csr`), to return. */
  hubClientCert?: KitInputFile;
  /** Received from the hub: only checked and recorded, never put in the kit. */
  hubCa?: KitInputFile;
  clientCert?: KitInputFile;
  hubJwsKey?: KitInputFile;
  peerJwsKeys?: readonly KitInputFile[];
  now?: Date;
}

export type StepStatus = 'done' | 'pending';

export interface ChecklistStep {
  id: string;
  phase: 'endpoints' | 'tls' | 'jws';
  /** Who acts: the DFSP (us) or the hub. */
  owner: 'dfsp' | 'hub';
  title: string;
  status: StepStatus;
  /** What showed it done, or what to do next. */
  detail: string;
}

export interface KitFileEntry {
  name: string;
  role: string;
  /** SHA-256 of the file's bytes (colon-free hex, as `sha256sum` prints). */
  sha256: string;
  certificates?: Array<{ subject: string; issuer: string; notAfter: string; sha256: string; spkiSha256: string }>;
  spkiSha256?: string;
  subject?: string;
}

export interface KitManifest {
  kind: 'dfsp-sidecar/onboarding-kit';
  version: 1;
  createdAt: string;
  fspId: string;
  endpoints: { callbackUrl: string; egress: string[] };
  received: { hubEgress: string[] };
  files: KitFileEntry[];
  checklist: ChecklistStep[];
  progress: { done: number; total: number };
  warnings: string[];
}

export interface Kit {
  /** Files to write into the kit directory, manifest.json and CHECKLIST.md included. */
  files: Array<{ name: string; data: string }>;
  manifest: KitManifest;
}

/** Names of every file a kit can contain (for `--force` cleanup of a previous kit). */
export function kitFileNames(fspId: string): string[] {
  return ['manifest.json', 'CHECKLIST.md', 'ca.chain.pem', 'server.cert.pem', 'client.csr.pem', `${fspId}.pem`, `${fspId}.cert.pem`, 'hub-client.cert.pem'];
}

export function buildKit(input: KitInput): Kit {
  const now = input.now ?? new Date();
  const fspId = checkFspId(input.fspId);
  const warnings: string[] = [];
  const callbackUrl = checkCallbackUrl(input.callbackUrl);
  if (input.egress.length === 0) throw new PkiInputError('at least one egress address (--egress) is required');
  const egress = normaliseAddresses(input.egress, '--egress', warnings);
  const hubEgress = normaliseAddresses(input.hubEgress ?? [], '--hub-egress', warnings);

  const out: Array<{ name: string; data: string; entry: Omit<KitFileEntry, 'sha256' | 'name'> }> = [];

  // Our CA chain and server certificate.
  const caCerts = input.caCert ? certificatesOnly(input.caCert) : [];
  if (caCerts[0] && !caCerts[0].isCa) throw new PkiInputError(`${input.caCert?.name}: '${caCerts[0].subjectText}' is not a CA certificate`);
  let serverLeaf: CertificateInfo | undefined;
  if (input.serverCert) {
    const certs = certificatesOnly(input.serverCert);
    serverLeaf = certs[0] as CertificateInfo;
    if (serverLeaf.isCa) throw new PkiInputError(`${input.serverCert.name}: the first certificate is a CA, expected the server certificate`);
    const intermediates = certs.slice(1).filter((c) => !caCerts.some((r) => r.fingerprintSha256 === c.fingerprintSha256));
    if (caCerts.length > 0) {
      const roots = caCerts.filter((c) => c.selfIssued);
      const chain = verifyChain(serverLeaf, {
        roots: roots.length > 0 ? roots : caCerts,
        intermediates: [...intermediates, ...caCerts],
        at: now,
        purpose: 'serverAuth',
      });
      if (!chain.ok) throw new PkiVerificationError(`${input.serverCert.name} does not verify against ${input.caCert?.name}: ${chain.error}`);
    } else {
      warnings.push('server certificate not checked against a CA: give --ca-cert');
    }
    expiryWarning(serverLeaf, 'server certificate', now, warnings);
    if (serverLeaf.extensions.subjectAltName === undefined) warnings.push('the server certificate has no subjectAltName; TLS clients match the host name against SANs');
    out.push({ name: 'server.cert.pem', data: serverLeaf.pem, entry: { role: 'dfsp-server-certificate', ...certEntries([serverLeaf]) } });
    caCerts.unshift(...intermediates);
  }
  if (caCerts.length > 0) {
    out.push({ name: 'ca.chain.pem', data: caCerts.map((c) => c.pem).join(''), entry: { role: 'dfsp-ca-chain', ...certEntries(caCerts) } });
  }

  // Our client CSR: linted as the hub will lint it.
  let csr: CsrInfo | undefined;
  if (input.csr) {
    csr = single(input.csr, 'csr', 'a certificate request').info;
    const violations = checkCsrPolicy(csr, {}, { profile: 'client' });
    if (violations.length > 0) throw new PkiPolicyError(violations, `${input.csr.name} (the hub would refuse it)`);
    out.push({ name: 'client.csr.pem', data: csr.pem, entry: { role: 'dfsp-client-csr', subject: csr.subjectText, spkiSha256: csr.spkiSha256 } });
  }

  // Our JWS public key, named after our FSP id: the peer's key lookup is by that file name.
  let jwsKey: KeyObject | undefined;
  if (input.jwsPublicKey) {
    const { key, cert } = publicKeyOf(input.jwsPublicKey);
    jwsKey = key;
    checkJwsKey(key, input.jwsPublicKey.name, warnings);
    out.push({ name: `${fspId}.pem`, data: publicKeyPem(key), entry: { role: 'dfsp-jws-public-key', spkiSha256: spkiSha256(key) } });
    if (cert) out.push({ name: `${fspId}.cert.pem`, data: cert.pem, entry: { role: 'dfsp-jws-certificate', ...certEntries([cert]) } });
  }

  // The hub's client certificate we signed: must come from our CA.
  let hubClient: CertificateInfo | undefined;
  if (input.hubClientCert) {
    hubClient = certificatesOnly(input.hubClientCert)[0] as CertificateInfo;
    if (caCerts.length === 0) throw new PkiInputError('--hub-client-cert needs --ca-cert to check that our CA signed it');
    const chain = verifyChain(hubClient, { roots: caCerts, at: now, purpose: 'clientAuth' });
    if (!chain.ok) throw new PkiVerificationError(`${input.hubClientCert.name} was not issued by our CA: ${chain.error}`);
    out.push({ name: 'hub-client.cert.pem', data: hubClient.pem, entry: { role: 'hub-client-certificate', ...certEntries([hubClient]) } });
  }

  // Received from the hub: checked, recorded in the checklist, not shared back.
  const hubCa = input.hubCa ? certificatesOnly(input.hubCa) : [];
  if (hubCa[0] && !hubCa[0].isCa) throw new PkiInputError(`${input.hubCa?.name}: '${hubCa[0].subjectText}' is not a CA certificate`);
  let clientCert: CertificateInfo | undefined;
  if (input.clientCert) {
    clientCert = certificatesOnly(input.clientCert)[0] as CertificateInfo;
    if (hubCa.length > 0) {
      const chain = verifyChain(clientCert, { roots: hubCa, at: now, purpose: 'clientAuth' });
      if (!chain.ok) throw new PkiVerificationError(`${input.clientCert.name} does not verify against ${input.hubCa?.name}: ${chain.error}`);
    } else {
      warnings.push('client certificate not checked against the hub CA: give --hub-ca');
    }
    if (csr && csr.spkiSha256 !== clientCert.spkiSha256) {
      throw new PkiVerificationError(`${input.clientCert.name} is for a different key than ${input.csr?.name}`);
    }
    expiryWarning(clientCert, 'client certificate', now, warnings);
  }
  const hubJws = input.hubJwsKey ? publicKeyOf(input.hubJwsKey).key : undefined;
  // Our own key may sit in the same verification-keys directory; it is not a peer's.
  const peers = (input.peerJwsKeys ?? []).filter((f) => baseName(f.name) !== fspId);
  for (const peer of peers) publicKeyOf(peer);

  const checklist = buildChecklist({
    fspId,
    callbackUrl,
    egress,
    hubEgress,
    caCert: caCerts.find((c) => c.selfIssued) ?? caCerts[0],
    serverLeaf,
    csr,
    jwsKey,
    hubClient,
    hubCa: hubCa[0],
    clientCert,
    hubJws,
    peers: peers.map((p) => baseName(p.name)),
  });

  const files = out.map((f) => ({ name: f.name, data: f.data, entry: { name: f.name, sha256: sha256Hex(f.data), ...f.entry } }));
  const done = checklist.filter((s) => s.status === 'done').length;
  const manifest: KitManifest = {
    kind: 'dfsp-sidecar/onboarding-kit',
    version: 1,
    createdAt: now.toISOString(),
    fspId,
    endpoints: { callbackUrl, egress },
    received: { hubEgress },
    files: files.map((f) => f.entry),
    checklist,
    progress: { done, total: checklist.length },
    warnings,
  };
  return {
    files: [
      ...files.map((f) => ({ name: f.name, data: f.data })),
      { name: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` },
      { name: 'CHECKLIST.md', data: renderChecklist(manifest) },
    ],
    manifest,
  };
}

// ---------------------------------------------------------------------------------------------

function objectsOf(file: KitInputFile): PkiObject[] {
  const { objects } = readObjects(file.data, { source: file.name });
  if (objects.some((o) => o.kind === 'private-key')) {
    throw new PkiInputError(`${file.name} contains a private key; a kit never holds private keys, give the file without it`);
  }
  return objects.filter((o) => o.kind !== 'ignored');
}

function certificatesOnly(file: KitInputFile): CertificateInfo[] {
  const objects = objectsOf(file);
  const certs = objects.flatMap((o) => (o.kind === 'certificate' ? [o.info] : []));
  if (certs.length === 0 || certs.length !== objects.length) throw new PkiInputError(`${file.name}: expected certificates only`);
  return certs;
}

function single<K extends PkiObject['kind']>(file: KitInputFile, kind: K, what: string): Extract<PkiObject, { kind: K }> {
  const objects = objectsOf(file);
  const [first] = objects;
  if (objects.length !== 1 || !first || first.kind !== kind) throw new PkiInputError(`${file.name}: expected ${what}`);
  return first as Extract<PkiObject, { kind: K }>;
}

function publicKeyOf(file: KitInputFile): { key: KeyObject; cert: CertificateInfo | undefined } {
  const objects = objectsOf(file);
  const [first] = objects;
  if (objects.length === 1 && first?.kind === 'public-key') return { key: first.key, cert: undefined };
  if (objects.length === 1 && first?.kind === 'certificate') return { key: first.info.publicKey, cert: first.info };
  throw new PkiInputError(`${file.name}: expected one public key or one certificate`);
}

/** RS256 needs RSA ≥ 2048 (scheme rule); ES256 is P-256 and only works where the scheme agreed to it. */
function checkJwsKey(key: KeyObject, name: string, warnings: string[]): void {
  const t = key.asymmetricKeyType;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (t === 'rsa' && bits < 2048) throw new PkiPolicyError([{ rule: 'rsa-key-size', message: `RSA key of ${bits} bits; minimum 2048` }], name);
  if (t === 'ec') {
    if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new PkiPolicyError([{ rule: 'ec-curve', message: 'ES256 needs a P-256 key' }], name);
    warnings.push('the JWS key is EC (ES256): only schemes that agreed to ES256 accept it; the default is RS256');
  } else if (t !== 'rsa') {
    throw new PkiPolicyError([{ rule: 'key-type', message: `${t} key; JWS keys are RSA (RS256) or EC P-256 (ES256)` }], name);
  }
}

function checkCallbackUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PkiInputError(`--callback-url '${value}' is not a URL`);
  }
  if (url.protocol !== 'https:') throw new PkiInputError(`--callback-url must be https (the hub calls it over mutual TLS), got ${url.protocol}`);
  if (url.username || url.password) throw new PkiInputError('--callback-url must not contain credentials');
  if (url.search || url.hash) throw new PkiInputError('--callback-url must be a base URL, without query or fragment');
  return url.href;
}

/**
 * IPs and CIDRs, canonicalised (`203.0.113.7` → `203.0.113.7/32`). Addresses that can never be an
 * egress (loopback, unspecified, multicast) are refused; private ranges and wide prefixes are
 * accepted with a warning, since private links to hubs exist.
 */
export function normaliseAddresses(values: readonly string[], flag: string, warnings: string[]): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    let prefix: number;
    try {
      if (value.includes('/')) {
        [addr, prefix] = ipaddr.parseCIDR(value);
      } else {
        addr = ipaddr.parse(value);
        prefix = addr.kind() === 'ipv4' ? 32 : 128;
      }
    } catch {
      throw new PkiInputError(`${flag} '${raw}' is not an IP address or CIDR`);
    }
    if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(value.split('/')[0] ?? '')) {
      throw new PkiInputError(`${flag} '${raw}' is not a dotted-quad IPv4 address`);
    }
    const cidr = `${addr.toString()}/${prefix}`;
    const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
    if (network.toString() !== addr.toString()) {
      throw new PkiInputError(`${flag} '${raw}' has host bits set; did you mean ${network.toString()}/${prefix}?`);
    }
    const range = addr.range();
    if (['unspecified', 'loopback', 'multicast', 'broadcast'].includes(range)) {
      throw new PkiInputError(`${flag} '${raw}' is a ${range} address and cannot be an egress address`);
    }
    if (range === 'reserved') warnings.push(`${flag} ${cidr} is in a reserved range (documentation or test networks): not routable on the internet`);
    else if (range !== 'unicast') warnings.push(`${flag} ${cidr} is a ${range} range: fine only over a private link to the hub`);
    if ((addr.kind() === 'ipv4' && prefix < 24) || (addr.kind() === 'ipv6' && prefix < 48)) {
      warnings.push(`${flag} ${cidr} is a wide range; the hub's allowlist will admit all of it`);
    }
    if (!out.includes(cidr)) out.push(cidr);
  }
  return out;
}

function expiryWarning(cert: CertificateInfo, what: string, now: Date, warnings: string[]): void {
  const left = Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000);
  if (left < 30) warnings.push(`the ${what} expires in ${left} days (${cert.notAfter.toISOString()})`);
}

function certEntries(certs: readonly CertificateInfo[]): Pick<KitFileEntry, 'certificates'> {
  return {
    certificates: certs.map((c) => ({
      subject: c.subjectText,
      issuer: c.issuerText,
      notAfter: c.notAfter.toISOString(),
      sha256: c.fingerprintSha256,
      spkiSha256: c.spkiSha256,
    })),
  };
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function baseName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(/\.pem$/, '');
}

interface ChecklistFacts {
  fspId: string;
  callbackUrl: string;
  egress: string[];
  hubEgress: string[];
  caCert: CertificateInfo | undefined;
  serverLeaf: CertificateInfo | undefined;
  csr: CsrInfo | undefined;
  jwsKey: KeyObject | undefined;
  hubClient: CertificateInfo | undefined;
  hubCa: CertificateInfo | undefined;
  clientCert: CertificateInfo | undefined;
  hubJws: KeyObject | undefined;
  peers: string[];
}

/** The seed procedure, DFSP view: 2 endpoint steps, 8 TLS steps, 4 JWS steps. */
function buildChecklist(f: ChecklistFacts): ChecklistStep[] {
  const step = (
    id: string,
    phase: ChecklistStep['phase'],
    owner: ChecklistStep['owner'],
    title: string,
    done: boolean,
    doneDetail: string,
    todo: string,
  ): ChecklistStep => ({ id, phase, owner, title, status: done ? 'done' : 'pending', detail: done ? doneDetail : todo });
  const exp = (c: CertificateInfo | undefined): string => (c ? `'${c.subjectText}', expires ${c.notAfter.toISOString().slice(0, 10)}` : '');
  return [
    step('endpoints.dfsp', 'endpoints', 'dfsp', 'Send our callback URL and egress addresses to the hub', true,
      `manifest.json endpoints: ${f.callbackUrl}; egress ${f.egress.join(', ')}`, ''),
    step('endpoints.hub', 'endpoints', 'hub', "Receive the hub's egress addresses (for our inbound IP allowlist)", f.hubEgress.length > 0,
      `hub egress: ${f.hubEgress.join(', ')}`, 'when the hub sends its egress addresses, put them in the inbound allowlist and rerun with --hub-egress'),
    step('tls.dfsp-ca', 'tls', 'dfsp', 'Create our CA', f.caCert !== undefined,
      `CA ${exp(f.caCert)}`, 'dfsp-sidecar pki init-ca, then rerun with --ca-cert'),
    step('tls.dfsp-server-cert', 'tls', 'dfsp', 'Issue our server certificate from our CA', f.serverLeaf !== undefined,
      `server certificate ${exp(f.serverLeaf)}`, 'dfsp-sidecar pki server-cert, then rerun with --server-cert'),
    step('tls.share-dfsp-ca', 'tls', 'dfsp', 'Send our CA chain and server certificate to the hub', f.caCert !== undefined && f.serverLeaf !== undefined,
      'in kit: ca.chain.pem, server.cert.pem', 'needs the two steps above'),
    step('tls.hub-ca', 'tls', 'hub', "Receive the hub's CA chain (outbound.tls.caFiles)", f.hubCa !== undefined,
      `hub CA ${exp(f.hubCa)}`, 'when the hub sends its CA chain, rerun with --hub-ca'),
    step('tls.dfsp-csr', 'tls', 'dfsp', 'Create our client key and CSR; send the CSR to the hub', f.csr !== undefined,
      `in kit: client.csr.pem ('${f.csr?.subjectText ?? ''}')`, 'dfsp-sidecar pki csr, then rerun with --csr'),
    step('tls.dfsp-client-cert', 'tls', 'hub', 'Receive our client certificate, signed by the hub CA', f.clientCert !== undefined,
      `client certificate ${exp(f.clientCert)}`, 'when the hub returns the signed certificate, rerun with --client-cert'),
    step('tls.sign-hub-csr', 'tls', 'dfsp', "Sign the hub's client CSR with our CA (inbound.tls.caFiles: our CA)", f.hubClient !== undefined,
      `hub client certificate ${exp(f.hubClient)}`, 'dfsp-sidecar pki sign-csr --csr <hub CSR>, then rerun with --hub-client-cert'),
    step('tls.return-hub-cert', 'tls', 'dfsp', 'Send the signed hub client certificate back to the hub', f.hubClient !== undefined,
      'in kit: hub-client.cert.pem', 'needs the step above'),
    step('jws.dfsp-keys', 'jws', 'dfsp', 'Create our JWS key pair', f.jwsKey !== undefined,
      `JWS key ${f.jwsKey ? spkiSha256(f.jwsKey) : ''}`, 'dfsp-sidecar pki jws-keys, then rerun with --jws-public-key'),
    step('jws.share-dfsp-key', 'jws', 'dfsp', `Send our JWS public key ${f.fspId}.pem to the hub`, f.jwsKey !== undefined,
      `in kit: ${f.fspId}.pem`, 'needs the step above'),
    step('jws.hub-key', 'jws', 'hub', "Receive the hub's JWS public key", f.hubJws !== undefined,
      `hub JWS key ${f.hubJws ? spkiSha256(f.hubJws) : ''}`, "when the hub sends its JWS public key, rerun with --hub-jws-key"),
    step('jws.peer-keys', 'jws', 'hub', "Receive the other participants' JWS public keys", f.peers.length > 0,
      `${f.peers.length} key(s): ${f.peers.join(', ')}`, 'when the hub distributes them, rerun with --peer-jws-dir'),
  ];
}

function renderChecklist(m: KitManifest): string {
  const section = (phase: ChecklistStep['phase'], heading: string): string =>
    `## ${heading}\n\n` +
    m.checklist
      .filter((s) => s.phase === phase)
      .map((s) => `- [${s.status === 'done' ? 'x' : ' '}] **${s.title}** (${s.owner === 'dfsp' ? 'us' : 'hub'}; \`${s.id}\`)  \n  ${s.detail}`)
      .join('\n') +
    '\n';
  const files = m.files.map((f) => `| \`${f.name}\` | ${f.role} | \`${f.sha256}\` |`).join('\n');
  return (
    `# Onboarding kit for ${m.fspId}\n\n` +
    `Created ${m.createdAt} by \`dfsp-sidecar pki kit\`; ${m.progress.done} of ${m.progress.total} steps done.\n` +
    `Send the hub every file below and manifest.json. None of them is secret; private keys never leave our side.\n\n` +
    `| File | Role | SHA-256 |\n|---|---|---|\n${files}\n\n` +
    `Callback URL: ${m.endpoints.callbackUrl}  \nEgress: ${m.endpoints.egress.join(', ')}\n\n` +
    section('endpoints', 'Endpoints') +
    '\n' +
    section('tls', 'TLS') +
    '\n' +
    section('jws', 'JWS') +
    (m.warnings.length > 0 ? `\n## Warnings\n\n${m.warnings.map((w) => `- ${w}`).join('\n')}\n` : '')
  );
}
