/**
 * Compile the inbound part of the config into runtime objects, once per (re)load: TLS material
 * read, cross-checked and turned into SecureContext options; CIDRs into matchers; identity rules
 * into sets; the core URL into a pool target. Every problem is reported with its config key, and
 * compilation carries on so that all of them are reported together.
 *
 * The hot path only reads what is built here. Nothing in this file opens a socket or starts a
 * timer: `check-config` compiles the same snapshot without serving.
 */
import { createHash, createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import type { InboundConfig } from '../config/schema.js';
import { createVerifyPolicy, EMPTY_PEER_KEY_SET, loadPeerKeys, type PeerKeySet, type VerifyPolicy } from '../crypto/jws/index.js';
import { parseCertificates, recordCertificate, type CompileContext } from '../shared/compile-context.js';
import { compileAddressMatcher, type AddressMatcher } from './address-matcher.js';
import { parseCrlWindows } from './crl.js';
import { compileIdentityRules, type IdentityRules } from './peer-identity.js';

const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

export interface InboundTlsRuntime {
  /** What `server.setSecureContext()` takes: built into a context once here to prove it loads. */
  readonly contextOptions: SecureContextOptions;
  /** Hash of every input of the context: the listener swaps its context only when this changes. */
  readonly fingerprint: string;
}

export interface CoreTarget {
  /** scheme://host:port of the core. */
  readonly origin: string;
  /** The URL's path without a trailing slash ('' for none); prefixed to every request path. */
  readonly basePath: string;
  readonly timeoutMs: number;
  readonly connections: number;
  /** Identifies the pool: a reload with the same key keeps the existing connections. */
  readonly key: string;
  /** Prebuilt client context for an https core (undici otherwise builds one per connection). */
  readonly secureContext: SecureContext | undefined;
}

export interface InboundJwsRuntime {
  /** jws.verify: when false every request passes as `exempt:disabled`. */
  readonly verify: boolean;
  readonly keys: PeerKeySet;
  readonly policy: VerifyPolicy;
  /**
   * Key files not in effect as written, on a reload (the previous key for that source stays in
   * use). On the first load these are config issues instead: nothing would be kept.
   */
  readonly warnings: ReadonlyArray<{ readonly file: string; readonly message: string }>;
}

export interface InboundRuntime {
  /** Undefined when inbound.tls.enabled is false (lab set-ups only). */
  readonly tls: InboundTlsRuntime | undefined;
  readonly allowlist: AddressMatcher;
  /** Load balancers whose PROXY header is honoured; undefined when PROXY protocol is off. */
  readonly trustedProxies: AddressMatcher | undefined;
  readonly identity: IdentityRules;
  readonly jws: InboundJwsRuntime;
  readonly core: CoreTarget;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly forwardAuthorization: boolean;
  /** The hub's path prefix ('' for none): stripped before verification and forwarding. */
  readonly basePath: string;
  readonly maxHeaderCount: number;
  /** Restart-only (the HTTP parser's limit is fixed when the listener is created). */
  readonly maxHeaderBytes: number;
  /** 0: no limit. */
  readonly maxConnections: number;
  /** 0: no limit. */
  readonly maxConnectionsPerSource: number;
  readonly closeGraceMs: number;
}

/** The inbound compile reads only its own part of the snapshot being replaced (the peer JWS keys it keeps). */
export type InboundCompileContext = CompileContext<{ readonly inbound: InboundRuntime | undefined }>;

export async function compileInbound(ctx: InboundCompileContext): Promise<InboundRuntime | undefined> {
  const cfg = ctx.config.inbound;
  const [tls, jws] = await Promise.all([compileTls(ctx, cfg), compileJws(ctx)]);

  const allowlist = compileAddressMatcher(cfg.allowlist, (entry, message) => ctx.issue('inbound.allowlist', `'${entry}': ${message}`));
  const trustedProxies = cfg.proxyProtocol.enabled
    ? compileAddressMatcher(cfg.proxyProtocol.trustedProxies, (entry, message) => ctx.issue('inbound.proxyProtocol.trustedProxies', `'${entry}': ${message}`))
    : undefined;
  const identity = compileIdentityRules(cfg.tls.peerIdentity, (entry, message) => ctx.issue('inbound.tls.peerIdentity.spkiSha256', `'${entry}': ${message}`));
  if (!cfg.tls.enabled && !identity.acceptAny) ctx.issue('inbound.tls.peerIdentity', 'peer identity rules need inbound.tls.enabled (there is no client certificate without TLS)');
  if (cfg.headersTimeoutMs > cfg.requestTimeoutMs) ctx.issue('inbound.headersTimeoutMs', `must not exceed inbound.requestTimeoutMs (${cfg.requestTimeoutMs})`);
  const core = compileCore(ctx, cfg);

  if (cfg.tls.enabled && tls === undefined) return undefined;
  return {
    tls,
    allowlist,
    trustedProxies,
    identity,
    jws,
    core,
    bodyLimitBytes: cfg.bodyLimitBytes,
    requestTimeoutMs: cfg.requestTimeoutMs,
    headersTimeoutMs: cfg.headersTimeoutMs,
    keepAliveTimeoutMs: cfg.keepAliveTimeoutMs,
    forwardAuthorization: cfg.forwardAuthorization,
    basePath: cfg.basePath,
    maxHeaderCount: cfg.maxHeaderCount,
    maxHeaderBytes: cfg.maxHeaderBytes,
    maxConnections: cfg.maxConnections,
    maxConnectionsPerSource: cfg.maxConnectionsPerSource,
    closeGraceMs: cfg.closeGraceMs,
  };
}

async function compileJws(ctx: InboundCompileContext): Promise<InboundJwsRuntime> {
  const cfg = ctx.config.jws;
  const policy = createVerifyPolicy({
    enabled: cfg.verify,
    putParties: cfg.verifyPutParties,
    hubFspId: cfg.hubFspId,
    allowUnsignedFromHub: cfg.allowUnsignedFromHub,
    algorithms: cfg.algorithms,
    destination: cfg.destinationPolicy,
    requestLine: cfg.requestLine,
    reserialiseLimitBytes: cfg.reserialiseLimitBytes,
  });
  if (!cfg.verify || !cfg.keysDirectory) return { verify: cfg.verify, keys: EMPTY_PEER_KEY_SET, policy, warnings: [] };
  const dir = cfg.keysDirectory;
  await ctx.watchDirectory(dir);
  const previous = ctx.previous?.inbound?.jws.keys;
  const loaded = await loadPeerKeys(dir, previous);
  if (loaded.directoryError !== undefined) ctx.issue('jws.keysDirectory', loaded.directoryError);
  const warnings: Array<{ file: string; message: string }> = [];
  for (const e of loaded.errors) {
    if (previous === undefined) ctx.issue('jws.keysDirectory', `'${e.file}': ${e.message}`);
    else warnings.push({ file: e.file, message: e.message });
  }
  for (const [source, keys] of loaded.keySet.bySource) {
    for (const k of keys) {
      ctx.artefact({ name: `peer-jws:${source}${k.slot === 'next' ? '.next' : ''}`, kind: 'jws-key', fingerprint: k.fingerprint, ...(k.notAfter ? { notAfter: k.notAfter } : {}) });
    }
  }
  return { verify: true, keys: loaded.keySet, policy, warnings };
}

function compileCore(ctx: InboundCompileContext, cfg: InboundConfig): CoreTarget {
  const url = new URL(cfg.core.url);
  if (url.search || url.hash) ctx.issue('inbound.core.url', 'must not have a query or fragment (request paths are appended to it)');
  if (url.username || url.password) ctx.issue('inbound.core.url', 'must not carry credentials');
  const basePath = url.pathname.replace(/\/+$/, '');
  let secureContext: SecureContext | undefined;
  // An https core is verified against the system CA store; build that context once.
  if (url.protocol === 'https:') secureContext = createSecureContext({});
  return {
    origin: url.origin,
    basePath,
    timeoutMs: cfg.core.timeoutMs,
    connections: cfg.core.connections,
    key: `${url.origin}${basePath}|${cfg.core.connections}|${cfg.core.timeoutMs}`,
    secureContext,
  };
}

async function compileTls(outer: InboundCompileContext, cfg: InboundConfig): Promise<InboundTlsRuntime | undefined> {
  const t = cfg.tls;
  // Any issue below means no context is built (it would fail or be wrong), so note whether one was raised.
  let failed = false;
  const ctx: InboundCompileContext = {
    ...outer,
    issue(key, message) {
      failed = true;
      outer.issue(key, message);
    },
  };
  if (!t.enabled) return undefined;
  // The schema already requires these when TLS is on; a missing one has been reported there.
  if (!t.certFile || !t.keyFile) return undefined;
  const [certPem, keyPem, caPems, crlPems] = await Promise.all([
    ctx.readFile(t.certFile, 'inbound.tls.certFile'),
    ctx.readFile(t.keyFile, 'inbound.tls.keyFile'),
    Promise.all(t.caFiles.map((f, i) => ctx.readFile(f, `inbound.tls.caFiles.${i}`))),
    Promise.all(t.crlFiles.map((f, i) => ctx.readFile(f, `inbound.tls.crlFiles.${i}`))),
  ]);

  let leaf: X509Certificate | undefined;
  if (certPem) {
    const chain = parseCertificates(ctx, certPem, 'inbound.tls.certFile', t.certFile);
    leaf = chain[0];
    chain.forEach((c, i) => recordCertificate(ctx, c, i === 0 ? 'inbound.server-cert' : `inbound.server-chain:${i}`, 'inbound.tls.certFile'));
    if (leaf && leaf.keyUsage !== undefined && !leaf.keyUsage.includes(SERVER_AUTH_OID)) {
      ctx.issue('inbound.tls.certFile', `certificate '${oneLine(leaf.subject)}' has an extended key usage without serverAuth: clients will refuse it`);
    }
  }
  let key: KeyObject | undefined;
  if (keyPem) {
    try {
      key = createPrivateKey(keyPem);
    } catch (err) {
      // The message never quotes the file: it is a private key.
      ctx.issue('inbound.tls.keyFile', `'${t.keyFile}' is not a readable private key (${errorCode(err)})`);
    }
  }
  if (leaf && key && !leaf.checkPrivateKey(key)) ctx.issue('inbound.tls.keyFile', `'${t.keyFile}' does not match the certificate in '${t.certFile}'`);

  const cas: Buffer[] = [];
  const caCerts: X509Certificate[] = [];
  caPems.forEach((pem, i) => {
    if (!pem) return;
    const certs = parseCertificates(ctx, pem, `inbound.tls.caFiles.${i}`, t.caFiles[i] as string);
    caCerts.push(...certs);
    if (certs.length > 0) cas.push(pem);
  });
  recordCas(ctx, caCerts);

  const crls: Buffer[] = [];
  crlPems.forEach((pem, i) => {
    if (!pem) return;
    if (checkCrl(ctx, pem, `inbound.tls.crlFiles.${i}`, t.crlFiles[i] as string)) crls.push(pem);
  });

  if (failed || !certPem || !keyPem || caPems.some((p) => !p) || crlPems.some((p) => !p)) return undefined;

  const contextOptions: SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    ca: cas,
    minVersion: t.minVersion as SecureVersion,
    ...(crls.length > 0 ? { crl: crls } : {}),
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
  };
  try {
    createSecureContext(contextOptions);
  } catch (err) {
    ctx.issue(t.ciphers ? 'inbound.tls.ciphers' : 'inbound.tls', `the TLS context does not load: ${errorCode(err)}`);
    return undefined;
  }
  const h = createHash('sha256');
  for (const part of [certPem, keyPem, ...cas, ...crls]) h.update(createHash('sha256').update(part).digest());
  h.update(`${t.minVersion}|${t.ciphers ?? ''}`);
  return { contextOptions, fingerprint: h.digest('hex') };
}

/**
 * CA certificates: record their expiry for the expiry gauge. An expired CA in a bundle is normal
 * during a CA rotation, so only a bundle with no valid CA left is an error.
 */
function recordCas(ctx: InboundCompileContext, cas: X509Certificate[]): void {
  let valid = 0;
  cas.forEach((c, i) => {
    const notAfter = new Date(c.validTo);
    ctx.artefact({ name: `inbound.ca:${i}`, kind: 'certificate', fingerprint: c.fingerprint256, subject: oneLine(c.subject), notAfter });
    if (notAfter.getTime() > ctx.now.getTime() && new Date(c.validFrom).getTime() <= ctx.now.getTime()) valid++;
  });
  if (cas.length > 0 && valid === 0) ctx.issue('inbound.tls.caFiles', 'every CA certificate is expired or not yet valid: no client could connect');
}

/**
 * A CRL that has passed its nextUpdate makes OpenSSL refuse every client it covers
 * (CRL_HAS_EXPIRED), so an expired one is an error here rather than an outage later.
 */
function checkCrl(ctx: InboundCompileContext, pem: Buffer, key: string, path: string): boolean {
  let windows;
  try {
    windows = parseCrlWindows(pem.toString('latin1'));
  } catch (err) {
    ctx.issue(key, `'${path}': unparsable CRL (${err instanceof Error ? err.message : String(err)})`);
    return false;
  }
  if (windows.length === 0) {
    ctx.issue(key, `'${path}' holds no PEM CRL (-----BEGIN X509 CRL-----)`);
    return false;
  }
  let ok = true;
  for (const w of windows) {
    if (w.nextUpdate && w.nextUpdate.getTime() <= ctx.now.getTime()) {
      ctx.issue(key, `a CRL in '${path}' expired on ${w.nextUpdate.toISOString()} (every client it covers would be refused)`);
      ok = false;
    }
  }
  return ok;
}

function oneLine(subject: string): string {
  return subject.replace(/\n/g, ', ');
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}
