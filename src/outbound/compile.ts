/**
 * Compile the outbound half of a snapshot, once per (re)load: signing keys imported into
 * KeyObjects for every identity, the hub TLS context (CA bundle + client certificate, checked to
 * match its key), the route table, and the token-endpoint settings with their own TLS context and
 * precomputed Basic header. Every problem is reported with its config key; nothing stops at the
 * first. The hot path only ever reads what this returns.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { loadSigningKey, spkiFingerprint, type SigningKey, type TokenSigningKey } from '../crypto/jws/index.js';
import { describeKey, describeToken, moduleEpoch, openTokenKey, type Pkcs11KeyRef } from '../crypto/pkcs11/token.js';
import { parsePkcs11Uri } from '../config/pkcs11-uri.js';
import { parseCertificates, recordCertificate, type CompileContext } from '../shared/compile-context.js';
import { compileRoutes, type RouteTable } from './routes.js';
import type { OAuthRuntime, TokenRuntime } from './token-client.js';
import type { HubConnect } from './upstreams.js';
import { compileFspiopHeaderRules, type FspiopHeaderRules } from './fspiop-headers.js';
import { compileHeaderPolicy, type HeaderPolicy } from './hub-headers.js';

export interface Identity {
  readonly fspId: string;
  /** Undefined when jws.sign is off: the identity is still one the core may send as. */
  readonly key: SigningKey | undefined;
}

export interface OutboundRuntime {
  readonly dfspId: string;
  /** Every FSPIOP-Source the core may use (dfspId first), with its signing key. */
  readonly identities: ReadonlyMap<string, Identity>;
  readonly sign: boolean;
  readonly signPutParties: boolean;
  readonly routes: RouteTable;
  readonly hubConnect: HubConnect;
  readonly hubTimeoutMs: number;
  readonly hubConnections: number;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Undefined: no Authorization header is sent. */
  readonly token: TokenRuntime | undefined;
  /** Which core headers reach the hub (hub-headers.ts). */
  readonly headerPolicy: HeaderPolicy;
  /** Accept / Content-Type / Date rules (fspiop-headers.ts). */
  readonly fspiopHeaders: FspiopHeaderRules;
}

export async function compileOutbound(ctx: CompileContext): Promise<OutboundRuntime | undefined> {
  const { config } = ctx;
  const o = config.outbound;

  const identities = await compileIdentities(ctx);
  const tls = await compileHubTls(ctx);
  const { table, problems } = compileRoutes(o.hub, { serverName: o.tls.serverName, requireTls: o.tls.enabled });
  for (const p of problems) ctx.issue(p.key, p.message);
  const token = compileToken(ctx, tls);

  if (!identities || !tls) return undefined;
  return {
    dfspId: config.dfspId,
    identities,
    sign: config.jws.sign,
    signPutParties: config.jws.signPutParties,
    routes: table,
    hubConnect: tls.hub,
    hubTimeoutMs: o.hub.timeoutMs,
    hubConnections: o.hub.connections,
    bodyLimitBytes: o.bodyLimitBytes,
    requestTimeoutMs: o.requestTimeoutMs,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs,
    token,
    headerPolicy: compileHeaderPolicy(o.headers.allow),
    fspiopHeaders: compileFspiopHeaderRules(o.headers),
  };
}

async function compileIdentities(ctx: CompileContext): Promise<Map<string, Identity> | undefined> {
  const { config } = ctx;
  const wanted: Array<{ fspId: string; file: string | undefined; pkcs11: string | undefined; key: string; pkcs11Key: string }> = [
    { fspId: config.dfspId, file: config.jws.signingKeyFile, pkcs11: config.jws.signingKeyPkcs11, key: 'jws.signingKeyFile', pkcs11Key: 'jws.signingKeyPkcs11' },
    ...config.jws.identities.map((id, i) => ({ fspId: id.fspId, file: id.signingKeyFile, pkcs11: id.signingKeyPkcs11, key: `jws.identities.${i}.signingKeyFile`, pkcs11Key: `jws.identities.${i}.signingKeyPkcs11` })),
  ];
  const out = new Map<string, Identity>();
  let ok = true;
  for (const w of wanted) {
    // With signing off, keys are neither required nor read (SDK defect mojaloop/project#4440 demanded one anyway).
    if (!config.jws.sign || (w.file === undefined && w.pkcs11 === undefined)) {
      if (config.jws.sign) {
        ctx.issue(w.key, 'required when jws.sign is true');
        ok = false;
      }
      out.set(w.fspId, { fspId: w.fspId, key: undefined });
      continue;
    }
    if (w.pkcs11 !== undefined) {
      const key = await compileTokenKey(ctx, w.fspId, w.pkcs11, w.pkcs11Key);
      if (!key) {
        ok = false;
        continue;
      }
      out.set(w.fspId, { fspId: w.fspId, key });
      continue;
    }
    const pem = await ctx.readFile(w.file as string, w.key);
    if (!pem) {
      ok = false;
      continue;
    }
    try {
      const key = loadSigningKey(pem);
      out.set(w.fspId, { fspId: w.fspId, key });
      ctx.artefact({ name: `outbound.jws-signing:${w.fspId}`, kind: 'jws-key', fingerprint: key.fingerprint });
    } catch (err) {
      ctx.issue(w.key, `'${w.file}': ${err instanceof Error ? err.message : String(err)}`);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

/**
 * A signing key in a PKCS#11 token: read the PIN file (watched, so a changed PIN reloads), open the
 * token, find the key pair, and make and verify a test signature, so that check-config, doctor and
 * a reload all prove the key signs before any request depends on it.
 */
async function compileTokenKey(ctx: CompileContext, fspId: string, uri: string, configKey: string): Promise<TokenSigningKey | undefined> {
  const u = parsePkcs11Uri(uri);
  const pinBytes = await ctx.readFile(u.pinFile, configKey);
  if (!pinBytes) return undefined;
  const pin = pinBytes.toString('utf8').replace(/\r?\n$/, '');
  if (pin === '') {
    ctx.issue(configKey, `the PIN file '${u.pinFile}' is empty`);
    return undefined;
  }
  const ref: Pkcs11KeyRef = Object.freeze({ module: u.module, tokenLabel: u.tokenLabel, slot: u.slot, serial: u.serial, keyLabel: u.keyLabel, keyId: u.keyId, pin, epoch: moduleEpoch(u.module) });
  try {
    const info = openTokenKey(ref);
    const fingerprint = spkiFingerprint(info.publicKey);
    const protection = info.sensitive && !info.extractable ? 'sensitive, not extractable' : `WARNING: ${[info.sensitive ? '' : 'not sensitive', info.extractable ? 'extractable' : ''].filter(Boolean).join(', ')}: the key can leave the token`;
    ctx.artefact({
      name: `outbound.jws-signing:${fspId}`,
      kind: 'jws-key',
      fingerprint,
      subject: `${info.alg} key (${describeKey(ref)}) in ${describeToken(ref)} [${info.token.manufacturer} ${info.token.model} serial ${info.token.serial}; ${protection}; test signature verified]`,
    });
    return Object.freeze({ kind: 'pkcs11' as const, ref, publicKey: info.publicKey, alg: info.alg, fingerprint });
  } catch (err) {
    ctx.issue(configKey, err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

interface CompiledTls {
  readonly hub: HubConnect;
  readonly caPems: readonly string[];
  readonly client: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** Digest of the CA bundle and client credentials, for the token context's key. */
  readonly digest: string;
}

async function compileHubTls(ctx: CompileContext): Promise<CompiledTls | undefined> {
  const t = ctx.config.outbound.tls;
  const digest = createHash('sha256');
  let ok = true;

  const caPems: string[] = [];
  for (const [i, file] of t.caFiles.entries()) {
    const key = `outbound.tls.caFiles.${i}`;
    const pem = await ctx.readFile(file, key);
    if (!pem) {
      ok = false;
      continue;
    }
    const certs = parseCertificates(ctx, pem, key, file);
    if (certs.length === 0) ok = false;
    certs.forEach((c, j) => {
      recordCertificate(ctx, c, `outbound.hub-ca.${i}${certs.length > 1 ? `.${j}` : ''}`, key);
      caPems.push(c.toString());
    });
    digest.update('ca\0').update(pem);
  }

  let client: CompiledTls['client'];
  if (t.certFile && t.keyFile) {
    const [cert, key] = await Promise.all([ctx.readFile(t.certFile, 'outbound.tls.certFile'), ctx.readFile(t.keyFile, 'outbound.tls.keyFile')]);
    if (!cert || !key) ok = false;
    else if (checkClientPair(ctx, cert, key, t.certFile)) {
      client = { cert, key };
      digest.update('cert\0').update(cert).update('key\0').update(key);
    } else ok = false;
  }
  if (!ok) return undefined;

  let secureContext: SecureContext | undefined;
  if (caPems.length > 0 || client) {
    try {
      secureContext = createSecureContext({
        minVersion: 'TLSv1.2',
        ...(caPems.length > 0 ? { ca: caPems } : {}),
        ...(client ? { cert: client.cert, key: client.key } : {}),
      });
    } catch (err) {
      ctx.issue('outbound.tls', `cannot build the TLS context: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
  const hex = digest.digest('hex');
  return { hub: { secureContext, key: hex }, caPems, client, digest: hex };
}

/**
 * The client certificate must parse and belong to the key (else every handshake fails later, far
 * from the cause); recordCertificate reports one out of date.
 */
function checkClientPair(ctx: CompileContext, certPem: Buffer, keyPem: Buffer, certPath: string): boolean {
  const chain = parseCertificates(ctx, certPem, 'outbound.tls.certFile', certPath);
  const leaf = chain[0];
  if (!leaf) return false;
  recordCertificate(ctx, leaf, 'outbound.client-cert', 'outbound.tls.certFile');
  let privateKey;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (err) {
    ctx.issue('outbound.tls.keyFile', `not a readable private key (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); an encrypted key is not supported`);
    return false;
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    ctx.issue('outbound.tls.keyFile', `does not belong to the client certificate '${subjectOf(leaf)}'`);
    return false;
  }
  return true;
}

function subjectOf(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ');
}

function compileToken(ctx: CompileContext, tls: CompiledTls | undefined): TokenRuntime | undefined {
  const a = ctx.config.outbound.oauth;
  if (a.staticToken) {
    return { mode: 'static', token: a.staticToken, key: sha256(`static\0${a.staticToken}`) };
  }
  if (!a.tokenEndpoint || !a.clientKey || !a.clientSecret) return undefined;
  let url: URL;
  try {
    url = new URL(a.tokenEndpoint);
  } catch {
    ctx.issue('outbound.oauth.tokenEndpoint', `'${a.tokenEndpoint}' is not a URL`);
    return undefined;
  }
  if (url.username || url.password) {
    ctx.issue('outbound.oauth.tokenEndpoint', 'credentials in the URL are not supported (use clientKey/clientSecret)');
    return undefined;
  }
  let connect: OAuthRuntime['connect'];
  if (url.protocol === 'https:') {
    if (!tls) return undefined;
    if (a.mtls && !tls.client) return undefined; // the schema already reported the missing certificate
    try {
      // The hub CA bundle plus the public roots: token gateways are often on a public certificate
      // while the FSPIOP endpoints use the scheme CA (the SDK trusted only the public roots, trap T15).
      const secureContext = createSecureContext({
        minVersion: 'TLSv1.2',
        ca: [...rootCertificates, ...tls.caPems],
        ...(a.mtls && tls.client ? { cert: tls.client.cert, key: tls.client.key } : {}),
      });
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      connect = { secureContext, servername: /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') ? undefined : host };
    } catch (err) {
      ctx.issue('outbound.oauth', `cannot build the token endpoint TLS context: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
  const authorization = `Basic ${Buffer.from(`${a.clientKey}:${a.clientSecret}`).toString('base64')}`;
  const form = `grant_type=client_credentials${a.scope ? `&scope=${encodeURIComponent(a.scope)}` : ''}`;
  const fields = [url.href, authorization, form, a.mtls ? (tls?.digest ?? '') : '', tls?.caPems.join('') ?? '', a.timeoutMs, a.refreshSeconds, a.marginSeconds, a.refreshRetrySeconds, a.maxRetrySeconds, a.probeAfterSeconds, a.rejectionRefreshMinSeconds];
  return {
    mode: 'oauth',
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    authorization,
    form,
    connect,
    timeoutMs: a.timeoutMs,
    refreshMs: a.refreshSeconds * 1000,
    marginMs: a.marginSeconds * 1000,
    retryMs: a.refreshRetrySeconds * 1000,
    maxRetryMs: a.maxRetrySeconds * 1000,
    probeAfterMs: a.probeAfterSeconds * 1000,
    rejectionRefreshMinMs: a.rejectionRefreshMinSeconds * 1000,
    key: sha256(fields.join('\0')),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
