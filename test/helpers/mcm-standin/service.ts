/**
 * MCM's services as the stand-in keeps them (mcm-api.md §7, checklist §8): per-DFSP CA,
 * inbound and outbound enrollments from one global id sequence, JWS keys (native, hub, external),
 * v2 endpoint rows, server certificates, states, credentials and the onboarding record. Errors
 * are ServiceErrors (body B) with the reference's exact messages.
 */
import type { CaMaterial } from '../../../src/crypto/pki/certificate.js';
import type { CsrInfo } from '../../../src/crypto/pki/csr.js';
import {
  caValidations,
  certInfoOf,
  createSubjectlessCsr,
  csrInfoOf,
  enrollmentValidations,
  jwsValidations,
  serverCertValidations,
  signAsHub,
  tryParseCertificates,
  tryParseCsr,
  validationStateOf,
  type CertInfoJson,
  type CsrInfoJson,
  type Validation,
} from './pki.js';
import { ServiceError } from './validation.js';

export type EnrollmentState = 'CSR_LOADED' | 'CERT_SIGNED';

export interface Enrollment {
  id: number;
  csr: string;
  csrInfo: CsrInfoJson;
  state: EnrollmentState;
  /** Inbound: always; outbound: once a certificate was uploaded (or /validate ran). */
  validations?: Validation[];
  validationState?: 'VALID' | 'INVALID';
  certificate?: string;
  certInfo?: CertInfoJson;
}

export interface DfspCa {
  rootCertificate: string;
  intermediateChain: string;
  validations: Validation[];
  validationState: 'VALID' | 'INVALID';
}

export interface JwsRecord {
  dfspId: string;
  publicKey: string;
  createdAt?: number;
  validations: Validation[];
  validationState: 'VALID' | 'INVALID';
}

export interface EndpointRow {
  id: number;
  dfspId: string;
  state: 'NOT_STARTED';
  createdAt: string;
  createdBy: string | null;
  ipList?: Array<{ address?: string; ports?: string[]; description?: string }>;
  url?: string;
}

/** A v1 endpoint item (table dfsp_endpoint_items, §7.10): snake_case, as the code returns it. */
export interface EndpointItem {
  id: number;
  dfsp_id: string;
  state: 'NEW' | 'CONFIRMED' | 'INVALID';
  direction: 'INGRESS' | 'EGRESS';
  type: 'IP' | 'URL';
  value: { address?: string; ports?: string[]; description?: string; url?: string };
  created_date: string;
  created_by: string | null;
}

export interface OnboardRecord {
  /** Subject CN of the hub client certificate the DFSP signed (the latest CERT_SIGNED outbound enrollment). */
  fqdn: string;
  /** The DFSP CA: root certificate then intermediate chain. */
  caBundle: string;
  /** Addresses of this DFSP's latest egress ipList. */
  ipWhitelist: string[];
  /** What MCM writes in the same call for every DFSP with egress rows. */
  ipWhitelistAll: Record<string, string[]>;
  onboardedAt: string;
}

interface InboundRecord extends Enrollment {
  parsed: CsrInfo;
}

interface OutboundRecord extends Enrollment {
  parsed: CsrInfo;
  /** The hub's private key (PEM); never in a response. Undefined for a test-supplied CSR without key. */
  key: string | undefined;
}

export interface DfspRecord {
  id: string;
  name: string;
  monetaryZoneId?: string;
  fxpCurrencies?: string[];
  isProxy: 0 | 1 | null;
  securityGroup: string;
  email?: string;
  ca?: DfspCa;
  inbound: Map<number, InboundRecord>;
  outbound: Map<number, OutboundRecord>;
  jws?: JwsRecord;
  serverCerts?: Record<string, unknown>;
  egress: EndpointRow[];
  ingress: EndpointRow[];
  /** v1 items (§7.10), a separate store from the v2 rows. */
  items: EndpointItem[];
  states?: Record<string, unknown>;
  onboarded?: OnboardRecord;
  credentials?: { clientId: string; clientSecret: string; createdAt: string };
}

export interface ServiceOptions {
  switchId: string;
  keyLength: number;
  signValidityDays: number;
  hubCa: CaMaterial;
}

/** 3–255 characters; letters, digits, `-` and `_` (MCM's Keycloak account check, §3.2). */
const DFSP_ID = /^[A-Za-z0-9_-]{3,255}$/;

function notFound(message = ''): ServiceError {
  return new ServiceError('NotFoundError', message);
}

/** MySQL DATETIME keeps whole seconds. */
function dbNow(): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
}

function publicEnrollment(record: InboundRecord | OutboundRecord): Enrollment {
  const { parsed: _parsed, ...rest } = record as OutboundRecord;
  const { key: _key, ...out } = rest;
  return structuredClone(out);
}

export class McmService {
  readonly dfsps = new Map<string, DfspRecord>();
  hubJws: JwsRecord | undefined;
  readonly externalJws = new Map<string, JwsRecord>();
  private gid = 0;
  private endpointId = 0;
  private itemId = 0;

  constructor(readonly options: ServiceOptions) {}

  dfsp(dfspId: string): DfspRecord {
    const dfsp = this.dfsps.get(dfspId);
    if (!dfsp) throw notFound(`DFSP with id ${dfspId} not found`);
    return dfsp;
  }

  /** `create_gid`: one sequence for inbound and outbound enrollments. */
  private nextGid(): number {
    this.gid += 1;
    return this.gid;
  }

  // 7.1 -------------------------------------------------------------------------------------

  /** The synchronous part of POST /dfsps: the record. The outbound enrollment follows (async). */
  createDfspRecord(body: { dfspId: string; name: string; monetaryZoneId?: string; fxpCurrencies?: string[]; isProxy?: boolean; securityGroup?: string; email?: string }): DfspRecord {
    if (!DFSP_ID.test(body.dfspId)) {
      throw new ServiceError('ValidationError', 'Invalid DFSP ID: it must be 3 to 255 characters long and contain only letters, digits, - and _', { validationErrors: [] });
    }
    if (this.dfsps.has(body.dfspId)) throw new ServiceError('InternalError', `DFSP with id ${body.dfspId} already exists`);
    const record: DfspRecord = {
      id: body.dfspId,
      name: body.name,
      ...(body.monetaryZoneId !== undefined ? { monetaryZoneId: body.monetaryZoneId } : {}),
      ...(body.fxpCurrencies !== undefined ? { fxpCurrencies: body.fxpCurrencies } : {}),
      isProxy: body.isProxy === undefined ? null : body.isProxy ? 1 : 0,
      securityGroup: body.securityGroup ?? `Application/DFSP:${body.dfspId.replace(/ /g, '-')}`,
      ...(body.email !== undefined ? { email: body.email } : {}),
      inbound: new Map(),
      outbound: new Map(),
      egress: [],
      ingress: [],
      items: [],
    };
    this.dfsps.set(record.id, record);
    return record;
  }

  dfspListItem(d: DfspRecord): Record<string, unknown> {
    return {
      id: d.id,
      name: d.name,
      ...(d.monetaryZoneId !== undefined ? { monetaryZoneId: d.monetaryZoneId } : {}),
      isProxy: d.isProxy,
      securityGroup: d.securityGroup,
    };
  }

  /** GET /dfsps: pta, no roles or no DFSP-type role see all; a DFSP role sees its own (§7.1). */
  listDfsps(roles: readonly string[]): Array<Record<string, unknown>> {
    const dfspRoles = roles.filter((r) => r.startsWith('Application/DFSP:') || r.startsWith('dfsp:'));
    const all = [...this.dfsps.values()];
    const visible =
      roles.includes('pta') || dfspRoles.length === 0
        ? all
        : all.filter((d) => roles.includes(d.securityGroup) || dfspRoles.includes(`Application/DFSP:${d.id}`) || dfspRoles.includes(`dfsp:${d.id}`));
    return visible.map((d) => this.dfspListItem(d));
  }

  updateDfsp(dfspId: string, body: { name?: string; monetaryZoneId?: string; isProxy?: boolean; securityGroup?: string }): Record<string, unknown> {
    const d = this.dfsp(dfspId);
    if (body.name !== undefined) d.name = body.name;
    if (body.monetaryZoneId !== undefined) d.monetaryZoneId = body.monetaryZoneId;
    if (body.isProxy !== undefined) d.isProxy = body.isProxy ? 1 : 0;
    if (body.securityGroup !== undefined) d.securityGroup = body.securityGroup;
    return this.dfspListItem(d);
  }

  /** Only ID_GENERATION is ever computed (§7.1). */
  status(dfspId: string): unknown {
    this.dfsp(dfspId);
    return [
      { phase: 'BUSINESS_SETUP', steps: [{ identifier: 'ID_GENERATION', status: 'COMPLETED' }] },
      {
        phase: 'TECHNICAL_SETUP',
        steps: ['ENDPOINTS', 'CSR_EXCHANGE', 'CERTIFICATE_AUTHORITY', 'SERVER_CERTIFICATES_EXCHANGE', 'JWS_CERTIFICATES'].map((identifier) => ({
          identifier,
          status: 'NOT_STARTED',
        })),
      },
    ];
  }

  // 7.3 -------------------------------------------------------------------------------------

  setDfspCa(dfspId: string, body: { rootCertificate?: string; intermediateChain?: string }): DfspCa {
    const d = this.dfsp(dfspId);
    const rootCertificate = body.rootCertificate ?? '';
    const intermediateChain = body.intermediateChain ?? '';
    const validations = caValidations(rootCertificate, intermediateChain);
    d.ca = { rootCertificate, intermediateChain, validations, validationState: validationStateOf(validations) };
    return structuredClone(d.ca);
  }

  getDfspCa(dfspId: string): unknown {
    const d = this.dfsp(dfspId);
    return d.ca ? structuredClone(d.ca) : { rootCertificate: null, intermediateChain: null, validations: [], validationState: 'NOT_AVAILABLE' };
  }

  // 7.4 inbound ------------------------------------------------------------------------------

  private inboundValidations(record: InboundRecord): void {
    record.validations = enrollmentValidations({
      csr: record.parsed,
      ...(record.certificate !== undefined ? { certificatePem: record.certificate } : {}),
      keyLength: this.options.keyLength,
      direction: 'inbound',
    });
    record.validationState = validationStateOf(record.validations);
  }

  createInbound(dfspId: string, clientCSR: string): Enrollment {
    const d = this.dfsp(dfspId);
    for (const existing of d.inbound.values()) {
      if (existing.state === 'CSR_LOADED' && existing.csr === clientCSR) return publicEnrollment(existing);
    }
    const parsed = tryParseCsr(clientCSR);
    if (!parsed) throw new ServiceError('ValidationError', 'Could not parse the CSR content', { validationErrors: [] });
    const record: InboundRecord = { id: this.nextGid(), csr: clientCSR, csrInfo: csrInfoOf(parsed), state: 'CSR_LOADED', parsed };
    this.inboundValidations(record);
    d.inbound.set(record.id, record);
    return publicEnrollment(record);
  }

  listInbound(dfspId: string, state?: string): Enrollment[] {
    return [...this.dfsp(dfspId).inbound.values()].filter((e) => state === undefined || e.state === state).map(publicEnrollment);
  }

  private enrollment<T extends InboundRecord | OutboundRecord>(map: Map<number, T>, enId: string): T {
    if (!/^\d+$/.test(enId)) throw new ServiceError('InternalError', 'enId is not a number');
    const record = map.get(Number(enId));
    if (!record) throw notFound();
    return record;
  }

  getInbound(dfspId: string, enId: string): Enrollment {
    return publicEnrollment(this.enrollment(this.dfsp(dfspId).inbound, enId));
  }

  /**
   * POST …/inbound/{enId}/sign, and the test hook behind it. `certificatePem` stores exactly
   * that text (a malicious MCM); otherwise the hub CA signs the CSR.
   */
  signInbound(dfspId: string, enId: string, opts: { certificatePem?: string; days?: number; notAfter?: Date } = {}): Enrollment {
    const record = this.enrollment(this.dfsp(dfspId).inbound, enId);
    let certificate: string;
    if (opts.certificatePem !== undefined) {
      certificate = opts.certificatePem;
    } else {
      const notBefore = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
      const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 60_000 + (opts.days ?? this.options.signValidityDays) * 86_400_000);
      certificate = signAsHub(this.options.hubCa, record.parsed, { notBefore, notAfter });
    }
    record.certificate = certificate;
    const cert = tryParseCertificates(certificate)?.[0];
    if (cert) record.certInfo = certInfoOf(cert);
    else delete record.certInfo;
    record.state = 'CERT_SIGNED';
    this.inboundValidations(record);
    return publicEnrollment(record);
  }

  // 7.5 outbound -----------------------------------------------------------------------------

  /** The hub's CSR: MCM-made (subject-less, §7.5) or given by a test (with its key, if any). */
  async createOutbound(dfspId: string, opts: { csrPem?: string; keyPem?: string } = {}): Promise<{ enrollment: Enrollment; keyPem: string | undefined }> {
    const d = this.dfsp(dfspId);
    const made = opts.csrPem === undefined ? await createSubjectlessCsr(this.options.keyLength) : { csrPem: opts.csrPem, keyPem: opts.keyPem };
    const parsed = tryParseCsr(made.csrPem);
    if (!parsed) throw new Error('createOutboundEnrollment: the CSR does not parse as PKCS#10');
    const record: OutboundRecord = { id: this.nextGid(), csr: made.csrPem, csrInfo: csrInfoOf(parsed), state: 'CSR_LOADED', parsed, key: made.keyPem };
    d.outbound.set(record.id, record);
    return { enrollment: publicEnrollment(record), keyPem: made.keyPem };
  }

  listOutbound(dfspId: string, state?: string): Enrollment[] {
    return [...this.dfsp(dfspId).outbound.values()].filter((e) => state === undefined || e.state === state).map(publicEnrollment);
  }

  getOutbound(dfspId: string, enId: string): Enrollment {
    return publicEnrollment(this.enrollment(this.dfsp(dfspId).outbound, enId));
  }

  outboundKey(dfspId: string, enId: number): string | undefined {
    return this.dfsps.get(dfspId)?.outbound.get(enId)?.key;
  }

  private outboundValidations(d: DfspRecord, record: OutboundRecord): void {
    record.validations = enrollmentValidations({
      csr: record.parsed,
      ...(record.certificate !== undefined ? { certificatePem: record.certificate } : {}),
      ...(record.key !== undefined ? { keyPem: record.key } : {}),
      keyLength: this.options.keyLength,
      direction: 'outbound',
      ...(d.ca?.rootCertificate ? { dfspCa: { rootCertificate: d.ca.rootCertificate, intermediateChain: d.ca.intermediateChain } } : {}),
    });
    record.validationState = validationStateOf(record.validations);
  }

  /** Always succeeds once the PEM parses, whatever the validations say, and overwrites (§7.5). */
  uploadOutboundCertificate(dfspId: string, enId: string, certificate: unknown): Enrollment {
    const d = this.dfsp(dfspId);
    const record = this.enrollment(d.outbound, enId);
    const cert = typeof certificate === 'string' ? tryParseCertificates(certificate)?.[0] : undefined;
    if (!cert || typeof certificate !== 'string') throw new ServiceError('ValidationError', 'Could not parse the Certificate content', { validationErrors: [] });
    record.certificate = certificate;
    record.certInfo = certInfoOf(cert);
    record.state = 'CERT_SIGNED';
    this.outboundValidations(d, record);
    return publicEnrollment(record);
  }

  validateOutbound(dfspId: string, enId: string): Enrollment {
    const d = this.dfsp(dfspId);
    const record = this.enrollment(d.outbound, enId);
    this.outboundValidations(d, record);
    return publicEnrollment(record);
  }

  // 7.6 server certificates -------------------------------------------------------------------

  setServerCerts(dfspId: string, body: { rootCertificate?: string; intermediateChain?: string | string[]; serverCertificate?: string }): Record<string, unknown> {
    const d = this.dfsp(dfspId);
    const intermediateChain = Array.isArray(body.intermediateChain) ? body.intermediateChain.join('\n') : body.intermediateChain;
    const info = (pem: string | undefined, what: string): CertInfoJson[] | undefined => {
      if (pem === undefined || pem === '') return undefined;
      const certs = tryParseCertificates(pem);
      if (!certs) throw new ServiceError('InvalidEntityError', `Invalid certificate: could not parse the ${what}`, { validationErrors: [] });
      return certs.map(certInfoOf);
    };
    const rootInfo = info(body.rootCertificate, 'root certificate');
    const chainInfo = info(intermediateChain, 'intermediate chain');
    const serverInfo = info(body.serverCertificate, 'server certificate');
    const validations = serverCertValidations({
      ...(body.rootCertificate !== undefined ? { rootCertificate: body.rootCertificate } : {}),
      ...(intermediateChain !== undefined ? { intermediateChain } : {}),
      ...(body.serverCertificate !== undefined ? { serverCertificate: body.serverCertificate } : {}),
      keyLength: this.options.keyLength,
    });
    d.serverCerts = {
      dfspId,
      rootCertificate: body.rootCertificate,
      rootCertificateInfo: rootInfo?.[0],
      intermediateChain,
      intermediateChainInfo: chainInfo ?? [],
      serverCertificate: body.serverCertificate,
      serverCertificateInfo: serverInfo?.[0],
      validations,
      validationState: validationStateOf(validations),
    };
    return structuredClone(d.serverCerts);
  }

  getServerCerts(dfspId: string): Record<string, unknown> {
    const d = this.dfsp(dfspId);
    if (!d.serverCerts) throw notFound();
    return structuredClone(d.serverCerts);
  }

  deleteServerCerts(dfspId: string): void {
    delete this.dfsp(dfspId).serverCerts;
  }

  allServerCerts(): unknown[] {
    return [...this.dfsps.values()].filter((d) => d.serverCerts).map((d) => structuredClone(d.serverCerts));
  }

  // 7.8 JWS ----------------------------------------------------------------------------------

  private jwsRecord(dfspId: string, publicKey: string, createdAt: number | undefined): JwsRecord {
    const validations = jwsValidations(publicKey);
    return { dfspId, publicKey, ...(createdAt !== undefined ? { createdAt } : {}), validations, validationState: validationStateOf(validations) };
  }

  /** Create-or-replace; stored even when the key does not parse (§7.8). */
  setDfspJws(dfspId: string, publicKey: string, createdAt: number | undefined): JwsRecord {
    const d = this.dfsp(dfspId);
    d.jws = this.jwsRecord(dfspId, publicKey, createdAt);
    return structuredClone(d.jws);
  }

  getDfspJws(dfspId: string): JwsRecord {
    const d = this.dfsp(dfspId);
    if (!d.jws) throw notFound();
    return structuredClone(d.jws);
  }

  deleteDfspJws(dfspId: string): void {
    delete this.dfsp(dfspId).jws;
  }

  setHubJws(publicKey: string, createdAt: number | undefined): JwsRecord {
    this.hubJws = this.jwsRecord(this.options.switchId, publicKey, createdAt);
    return structuredClone(this.hubJws);
  }

  getHubJws(): JwsRecord {
    if (!this.hubJws) throw notFound();
    return structuredClone(this.hubJws);
  }

  /** Native DFSP ids are silently dropped; createdAt defaults to 0 (§7.8). */
  addExternalJws(items: Array<{ dfspId?: string; publicKey: string; createdAt?: number }>): JwsRecord[] {
    if (items.length === 0) throw new ServiceError('ValidationError', 'Invalid body', { validationErrors: [] });
    const stored: JwsRecord[] = [];
    for (const item of items) {
      if (item.dfspId === undefined || this.dfsps.has(item.dfspId)) continue;
      const record = this.jwsRecord(item.dfspId, item.publicKey, item.createdAt ?? 0);
      this.externalJws.set(item.dfspId, record);
      stored.push(structuredClone(record));
    }
    return stored;
  }

  /** Native keys, the hub's (dfspId = switch id), external keys; [] when empty, never 404 (§7.8). */
  allJws(): JwsRecord[] {
    const native = [...this.dfsps.values()].flatMap((d) => (d.jws ? [d.jws] : []));
    return structuredClone([...native, ...(this.hubJws ? [this.hubJws] : []), ...this.externalJws.values()]);
  }

  // 7.9 endpoints ----------------------------------------------------------------------------

  addEndpoint(dfspId: string, direction: 'egress' | 'ingress', body: { ipList?: EndpointRow['ipList']; url?: string }, createdBy: string | null): EndpointRow {
    const d = this.dfsp(dfspId);
    this.endpointId += 1;
    const row: EndpointRow = {
      id: this.endpointId,
      dfspId,
      state: 'NOT_STARTED',
      createdAt: dbNow(),
      createdBy,
      ...(direction === 'egress' ? { ipList: body.ipList } : { url: body.url }),
    };
    d[direction].push(row);
    return structuredClone(row);
  }

  latestEndpoint(dfspId: string, direction: 'egress' | 'ingress'): EndpointRow {
    const row = this.dfsp(dfspId)[direction].at(-1);
    if (!row) throw notFound('Endpoint configuration not found!');
    return structuredClone(row);
  }

  // 7.10 endpoint items (v1) -----------------------------------------------------------------

  /** IP values need address and ports, ports 0–65535 (or a range); URLs http(s) only. */
  private checkItemValue(type: 'IP' | 'URL', value: EndpointItem['value'] | undefined): EndpointItem['value'] {
    if (type === 'URL') {
      let ok = false;
      try {
        ok = typeof value?.url === 'string' && ['http:', 'https:'].includes(new URL(value.url).protocol);
      } catch {
        ok = false;
      }
      if (!ok) throw new ServiceError('ValidationError', 'Invalid URL', { validationErrors: [] });
      return { url: value?.url as string };
    }
    if (!value?.address || !Array.isArray(value.ports)) {
      throw new ServiceError('ValidationError', 'Invalid IP value: address and ports are required', { validationErrors: [] });
    }
    for (const port of value.ports) {
      const bounds = /^(\d+)(?:-(\d+))?$/.exec(port);
      const inRange = bounds !== null && [bounds[1], bounds[2]].every((b) => b === undefined || Number(b) <= 65535);
      if (!inRange) throw new ServiceError('ValidationError', `Invalid port: ${port}`, { validationErrors: [] });
    }
    return structuredClone(value);
  }

  addItem(dfspId: string, direction: EndpointItem['direction'], type: EndpointItem['type'], value: EndpointItem['value'] | undefined, createdBy: string | null): EndpointItem {
    const d = this.dfsp(dfspId);
    const checked = this.checkItemValue(type, value);
    this.itemId += 1;
    const item: EndpointItem = { id: this.itemId, dfsp_id: dfspId, state: 'NEW', direction, type, value: checked, created_date: dbNow(), created_by: createdBy };
    d.items.push(item);
    return structuredClone(item);
  }

  listItems(dfspId: string, filter: { direction?: EndpointItem['direction']; type?: EndpointItem['type']; state?: EndpointItem['state'] } = {}): EndpointItem[] {
    return structuredClone(
      this.dfsp(dfspId).items.filter(
        (i) => (filter.direction === undefined || i.direction === filter.direction) && (filter.type === undefined || i.type === filter.type) && (filter.state === undefined || i.state === filter.state),
      ),
    );
  }

  private item(dfspId: string, epId: string): EndpointItem {
    const item = this.dfsp(dfspId).items.find((i) => String(i.id) === epId);
    if (!item) throw notFound(`Item with id: ${epId}`);
    return item;
  }

  getItem(dfspId: string, epId: string): EndpointItem {
    return structuredClone(this.item(dfspId, epId));
  }

  /** A partial item; a new `value` is validated again. */
  updateItem(dfspId: string, epId: string, body: Partial<Pick<EndpointItem, 'state' | 'value'>>): EndpointItem {
    const item = this.item(dfspId, epId);
    if (body.value !== undefined) item.value = this.checkItemValue(item.type, body.value);
    if (body.state !== undefined) item.state = body.state;
    return structuredClone(item);
  }

  deleteItem(dfspId: string, epId: string): void {
    const d = this.dfsp(dfspId);
    this.item(dfspId, epId);
    d.items = d.items.filter((i) => String(i.id) !== epId);
  }

  confirmItem(dfspId: string, epId: string): EndpointItem {
    const item = this.item(dfspId, epId);
    item.state = 'CONFIRMED';
    return structuredClone(item);
  }

  // 7.12 states ------------------------------------------------------------------------------

  /** Upsert of one row per DFSP: {code:1} on insert, {code:2} on update. */
  uploadStates(dfspId: string, body: Record<string, unknown>): { code: number } {
    const d = this.dfsp(dfspId);
    const code = d.states ? 2 : 1;
    d.states = { ...(d.states ?? {}), ...structuredClone(body) };
    return { code };
  }

  statesStatus(): unknown {
    return {
      dfsps: [...this.dfsps.values()].map((d) => ({
        dfspId: d.id,
        statesStatus: Object.entries(d.states ?? {}).map(([state, value]) => ({ state, ...(value as Record<string, unknown>) })),
      })),
    };
  }

  // 4.1 step 6: /onboard ----------------------------------------------------------------------

  onboard(dfspId: string): OnboardRecord {
    const d = this.dfsp(dfspId);
    // The DFSP CA is read from Vault: nothing there is a 404 with an empty message (§1).
    if (!d.ca?.rootCertificate) throw notFound();
    const signed = [...d.outbound.values()].filter((e) => e.state === 'CERT_SIGNED');
    const latest = signed.at(-1);
    if (!latest) throw new ServiceError('InternalError', `No signed outbound enrollment found for DFSP ${dfspId}`);
    const cn = latest.certInfo?.subject.CN;
    if (!cn) throw new ServiceError('InternalError', `The hub client certificate of DFSP ${dfspId} has no subject CN`);
    const ipWhitelistAll: Record<string, string[]> = {};
    for (const other of this.dfsps.values()) {
      const row = other.egress.at(-1);
      if (row) ipWhitelistAll[other.id] = (row.ipList ?? []).flatMap((ip) => (ip.address ? [ip.address] : []));
    }
    d.onboarded = {
      fqdn: cn,
      caBundle: [d.ca.rootCertificate, d.ca.intermediateChain].filter((p) => p !== '').join('\n'),
      ipWhitelist: ipWhitelistAll[dfspId] ?? [],
      ipWhitelistAll,
      onboardedAt: new Date().toISOString(),
    };
    return structuredClone(d.onboarded);
  }
}
