/**
 * The configuration schema: the single source of truth for keys, types, defaults and
 * reloadability. Every object is strict (unknown keys are errors: a typo must not be silently
 * ignored by software that guards money movement). config.example.yaml documents every key and
 * test/contract/config-example.test.ts checks it covers this schema.
 *
 * Reloadable (SIGHUP or a changed file): everything that is read from files (certificates, keys,
 * CRLs, the peer key directory) plus the allowlists, peer-identity rules, routes, JWS policy and
 * OAuth credentials. Listen addresses, ports, server timeouts and worker counts need a restart
 * (RESTART_ONLY_PATHS); a reload that changes them is refused and the old snapshot kept.
 */
import { normalize } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parsePkcs11Uri } from './pkcs11-uri.js';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();
const filePath = z.string().min(1);
const fspId = z.string().min(1).max(32).regex(/^[A-Za-z0-9_.-]+$/, 'an FSP id (letters, digits, _ . -; at most 32)');
/** An address or CIDR block, IPv4 or IPv6 (ipaddr.js parses it again when compiling). */
const cidr = z.string().refine((value) => isAddressOrCidr(value), 'an IPv4/IPv6 address or CIDR block, e.g. 10.0.0.0/8');

function isAddressOrCidr(value: string): boolean {
  try {
    if (value.includes('/')) ipaddr.parseCIDR(value);
    else ipaddr.parse(value);
    return true;
  } catch {
    return false;
  }
}
const httpUrl = z.url({ protocol: /^https?$/ });

export const JWS_ALGORITHMS = ['RS256', 'ES256', 'RS384', 'RS512'] as const;

/** A signing key inside a PKCS#11 token, as an RFC 7512 URI (src/config/pkcs11-uri.ts, docs/hsm.md). */
const pkcs11Uri = z.string().superRefine((value, ctx) => {
  try {
    parsePkcs11Uri(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a usable PKCS#11 URI: ${(err as Error).message}` });
  }
});

const identity = z.strictObject({
  /** FSPIOP-Source this identity signs as. */
  fspId,
  /** Private key (PKCS#1, PKCS#8 or SEC1 PEM) used to sign for this identity. */
  signingKeyFile: filePath.optional(),
  /** Or the key in a PKCS#11 token (HSM). */
  signingKeyPkcs11: pkcs11Uri.optional(),
});

const jws = z
  .strictObject({
    /** Sign outbound POST/PUT/PATCH (SDK: JWS_SIGN). */
    sign: z.boolean().default(true),
    /** Also sign outbound PUT /parties (the current SDK does whenever JWS_SIGN is on). */
    signPutParties: z.boolean().default(true),
    /** Own signing key (SDK: JWS_SIGNING_KEY_PATH). Required when sign is true. */
    signingKeyFile: filePath.optional(),
    /** Or the own signing key in a PKCS#11 token (HSM): pkcs11:token=…;object=…?module-path=…&pin-source=file:… */
    signingKeyPkcs11: pkcs11Uri.optional(),
    /** Extra identities the core may send as (FSPIOP-Source), each with its own key. */
    identities: z.array(identity).default([]),
    /** Verify inbound signatures (SDK: VALIDATE_INBOUND_JWS). */
    verify: z.boolean().default(true),
    /** Inbound PUT /parties: always verify, verify if signed (allow unsigned), or never verify. */
    verifyPutParties: z.enum(['always', 'if-signed', 'never']).default('if-signed'),
    /** The hub's own FSP id (the name it signs its own callbacks with). */
    hubFspId: fspId.default('Hub'),
    /** Accept unsigned messages whose FSPIOP-Source is hubFspId (mojaloop/project#3829). */
    allowUnsignedFromHub: z.boolean().default(false),
    /** Directory of <fspId>.pem / <fspId>.next.pem / <fspId>.json peer keys (SDK: JWS_VERIFICATION_KEYS_DIRECTORY). */
    keysDirectory: filePath.optional(),
    /** Accepted inbound algorithms. RS384/RS512 are spec-legal but SDK validators reject them. */
    algorithms: z.array(z.enum(JWS_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
    /** sdk-strict: an FSPIOP-Destination header must be protected; spec: it may be unprotected. */
    destinationPolicy: z.enum(['sdk-strict', 'spec']).default('sdk-strict'),
    /** Inbound: the request's method and path must be the signed FSPIOP-HTTP-Method and FSPIOP-URI (enforce), or a mismatch is only counted (record), or not compared (off, as the SDK). */
    requestLine: z.enum(['enforce', 'record', 'off']).default('enforce'),
    /** Inbound: bodies above this many bytes are verified over their raw bytes only (no sorted/insertion-order re-serialisation). */
    reserialiseLimitBytes: z.number().int().min(0).default(65_536),
  })
  .prefault({});

const tlsServer = z.strictObject({
  /** Terminate mutual TLS (SDK: INBOUND_MUTUAL_TLS_ENABLED). Off only for lab set-ups. */
  enabled: z.boolean().default(true),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** Server certificate, optionally followed by its chain (SDK: IN_SERVER_CERT_PATH). */
  certFile: filePath.optional(),
  /** Server private key (SDK: IN_SERVER_KEY_PATH). */
  keyFile: filePath.optional(),
  /** CA bundle(s) that client certificates must chain to (SDK: IN_CA_CERT_PATH, comma-separated). */
  caFiles: z.array(filePath).default([]),
  /** Optional CRL files (PEM); a revoked client certificate fails the handshake. */
  crlFiles: z.array(filePath).default([]),
  /** Optional OpenSSL cipher list; Node's default when absent. */
  ciphers: z.string().optional(),
  /** Peer-identity allowlist: when any list is non-empty the client certificate must match one entry. */
  peerIdentity: z
    .strictObject({
      subjectCn: z.array(z.string().min(1)).default([]),
      sanDns: z.array(z.string().min(1)).default([]),
      sanUri: z.array(z.string().min(1)).default([]),
      spkiSha256: z.array(z.string().regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$|^[A-Za-z0-9+/]{43}=$/, 'a SHA-256 SPKI pin (hex or base64)')).default([]),
    })
    .prefault({}),
});

const inbound = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(4000),
    tls: tlsServer.prefault({}),
    /** Source addresses allowed to connect (CIDRs, IPv4 and IPv6). Empty denies everything. */
    allowlist: z.array(cidr).default([]),
    /** Path prefix the hub puts in front of the FSPIOP path (e.g. /api for callbacks to https://dfsp/api/transfers/...). Stripped before verification and forwarding; requests outside it are refused. */
    basePath: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*$/, "'' or a path like /api/fspiop (no trailing slash, no dot segments)")
      .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), 'no dot segments')
      .default(''),
    /** Most request header lines a request may carry (FSPIOP requests carry about 15); more is refused with 431. */
    maxHeaderCount: z.number().int().min(16).max(1000).default(64),
    /** Most bytes of request line and headers together; more is refused with 431. */
    maxHeaderBytes: z.number().int().min(4096).max(65_536).default(16_384),
    /** Most open connections; further ones are closed at accept (counted as max_connections). 0: no limit. */
    maxConnections: z.number().int().min(0).default(1_024),
    /** Most open connections from one client address; 0: no limit. */
    maxConnectionsPerSource: z.number().int().min(0).default(0),
    /** How long a connection the sidecar has finished with (answered and half-closed) may linger before it is destroyed. */
    closeGraceMs: positiveMs.default(2_000),
    proxyProtocol: z
      .strictObject({
        /** Accept a PROXY protocol v1/v2 header, only from trustedProxies. */
        enabled: z.boolean().default(false),
        trustedProxies: z.array(cidr).default([]),
      })
      .prefault({}),
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    /** Whole-request deadline for a client (slowloris guard). */
    requestTimeoutMs: positiveMs.default(30_000),
    headersTimeoutMs: positiveMs.default(10_000),
    keepAliveTimeoutMs: positiveMs.default(65_000),
    /** Pass the Authorization header the hub echoes into callbacks on to the core (trap T17). */
    forwardAuthorization: z.boolean().default(false),
    core: z
      .strictObject({
        /** Base URL of the DFSP core's FSPIOP callback API. */
        url: httpUrl.default('http://127.0.0.1:3000'),
        timeoutMs: positiveMs.default(30_000),
        connections: z.number().int().positive().default(64),
      })
      .prefault({}),
  })
  .prefault({});

const oauth = z
  .strictObject({
    /** Token endpoint for client_credentials (SDK: OAUTH_TOKEN_ENDPOINT). */
    tokenEndpoint: httpUrl.optional(),
    clientKey: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    scope: z.string().min(1).optional(),
    /** A fixed bearer token instead of client_credentials (SDK: OIDC_BEARER_TOKEN / WSO2_BEARER_TOKEN). */
    staticToken: z.string().min(1).optional(),
    /** Refresh at min(refreshSeconds, expires_in - marginSeconds), with jitter. */
    refreshSeconds: z.number().int().positive().default(60),
    marginSeconds: z.number().int().min(0).default(30),
    /** First retry delay after a failed fetch; doubles up to maxRetrySeconds. */
    refreshRetrySeconds: z.number().positive().default(10),
    maxRetrySeconds: z.number().positive().default(300),
    /** While fetches are failing, a request may start one immediate probe fetch once the last attempt is this old. */
    probeAfterSeconds: z.number().positive().default(5),
    /** Hub 401s start at most one token fetch per this many seconds; inside it the 401 is relayed. */
    rejectionRefreshMinSeconds: z.number().min(0).default(10),
    /** Present our client certificate to the token endpoint (SDK: OAUTH_MUTUAL_TLS_ENABLED). The hub CA is always trusted. */
    mtls: z.boolean().default(false),
    timeoutMs: positiveMs.default(10_000),
  })
  .prefault({});

const hubRoutes = z
  .strictObject({
    parties: httpUrl.optional(),
    participants: httpUrl.optional(),
    quotes: httpUrl.optional(),
    transfers: httpUrl.optional(),
    bulkQuotes: httpUrl.optional(),
    bulkTransfers: httpUrl.optional(),
    transactionRequests: httpUrl.optional(),
    authorizations: httpUrl.optional(),
    fxQuotes: httpUrl.optional(),
    fxTransfers: httpUrl.optional(),
    ping: httpUrl.optional(),
  })
  .prefault({});

/** An FSPIOP API version as media types carry it: major.minor. */
const fspiopVersion = z.string().regex(/^\d{1,3}\.\d{1,3}$/, 'an FSPIOP API version: major.minor, e.g. 1.1');

/** Header names an operator lets through to the hub besides the built-in policy (src/outbound/header-policy.ts). */
const passHeaderName = z
  .string()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'a lower-case HTTP header name')
  .refine((n) => !n.startsWith('x-dfsp-sidecar-'), 'x-dfsp-sidecar-* headers are the sidecar\'s own and never leave in the core\'s name')
  .refine((n) => !['authorization', 'fspiop-signature', 'host', 'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'expect'].includes(n), 'set by the sidecar, never taken from the core');

const outboundHeaders = z
  .strictObject({
    /** FSPIOP version put into an Accept/Content-Type the core left out. */
    fspiopVersion: fspiopVersion.default('1.1'),
    /** Per-resource exceptions to fspiopVersion (the FX resources exist from FSPIOP 2.0 only). */
    fspiopVersions: z
      .strictObject({
        parties: fspiopVersion.optional(),
        participants: fspiopVersion.optional(),
        quotes: fspiopVersion.optional(),
        transfers: fspiopVersion.optional(),
        bulkQuotes: fspiopVersion.optional(),
        bulkTransfers: fspiopVersion.optional(),
        transactionRequests: fspiopVersion.optional(),
        authorizations: fspiopVersion.optional(),
        fxQuotes: fspiopVersion.default('2.0'),
        fxTransfers: fspiopVersion.default('2.0'),
        ping: fspiopVersion.optional(),
      })
      .prefault({}),
    /** A core Date further than this from the sidecar's clock is refused. */
    dateSkewSeconds: z.number().int().positive().default(300),
    /** Extra core headers passed to the hub (lower-case names); everything outside the policy is dropped. */
    allow: z.array(passHeaderName).default([]),
  })
  .prefault({});

const outbound = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(4001),
    /** Listen on a unix socket instead of host:port. */
    socketPath: filePath.optional(),
    /** Binding to a non-loopback address requires this (the core's traffic is unauthenticated). */
    allowNonLoopback: z.boolean().default(false),
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    requestTimeoutMs: positiveMs.default(30_000),
    keepAliveTimeoutMs: positiveMs.default(65_000),
    tls: z
      .strictObject({
        /** mTLS to the hub (SDK: OUTBOUND_MUTUAL_TLS_ENABLED). */
        enabled: z.boolean().default(true),
        /** Hub CA bundle(s) (SDK: OUT_CA_CERT_PATH, comma-separated). */
        caFiles: z.array(filePath).default([]),
        /** Our client certificate (signed by the hub CA) and key (SDK: OUT_CLIENT_CERT_PATH / OUT_CLIENT_KEY_PATH). */
        certFile: filePath.optional(),
        keyFile: filePath.optional(),
        /** Override the TLS server name checked on the hub certificate (default: the route's host). */
        serverName: z.string().min(1).optional(),
      })
      .prefault({}),
    hub: z
      .strictObject({
        /** Default hub base URL, base path allowed (SDK: PEER_ENDPOINT). */
        default: httpUrl.optional(),
        /** Per-resource hub base URLs (SDK: ALS_ENDPOINT, QUOTES_ENDPOINT, ...). */
        routes: hubRoutes,
        timeoutMs: positiveMs.default(30_000),
        connections: z.number().int().positive().default(64),
      })
      .prefault({}),
    oauth,
    headers: outboundHeaders,
    /** Signing parallelism: 0 signs on the event loop; a number or 'auto' (one per core) uses worker threads. */
    workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default(0),
  })
  .prefault({});

/** An IPv4 address or CIDR block, as the MCM's egress endpoint schema accepts (no IPv6). */
const ipv4OrCidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}(\/([0-9]|[12][0-9]|3[0-2]))?$/, 'an IPv4 address or CIDR block (the MCM accepts no IPv6), e.g. 203.0.113.10/32');
const portRange = z.string().regex(/^\d{1,5}(-\d{1,5})?$/, "a port or range as a string, e.g. '443' or '8000-8080'");

const mcmSteps = z
  .strictObject({
    hubCa: z.boolean().default(true),
    dfspCa: z.boolean().default(true),
    serverCert: z.boolean().default(true),
    jwsKey: z.boolean().default(true),
    clientCert: z.boolean().default(true),
    hubClientCert: z.boolean().default(true),
    peerKeys: z.boolean().default(true),
    endpoints: z.boolean().default(true),
    states: z.boolean().default(true),
  })
  .prefault({});

/**
 * The hub's Connection Manager (../shared/reference/mcm-api.md). The files the steps keep current
 * are the ones the rest of the config already names: outbound.tls.caFiles[0] (hub CA),
 * outbound.tls.certFile/keyFile (our client certificate), inbound.tls.certFile/keyFile (our server
 * certificate), jws.signingKeyFile (our JWS key), jws.keysDirectory (peer keys).
 */
const mcm = z
  .strictObject({
    /** Run the MCM steps in `run` (on a timer) and allow `onboard`. */
    enabled: z.boolean().default(false),
    /** MCM API base URL, including its /api prefix (PM4ML: MCM_SERVER_ENDPOINT). */
    url: httpUrl.optional(),
    /** CA bundle(s) for the TLS certificates of the MCM and its token endpoint; empty: the public roots. */
    caFiles: z.array(filePath).default([]),
    oauth: z
      .strictObject({
        /** Keycloak client-credentials token URL (PM4ML: HUB_IAM_PROVIDER_URL + OIDC_TOKEN_ROUTE). */
        tokenEndpoint: httpUrl.optional(),
        /** Keycloak client id; MCM creates it equal to the DFSP id. Default: dfspId. */
        clientId: z.string().min(1).optional(),
        /** The secret from the MCM portal (POST /dfsps/{id}/credentials). */
        clientSecret: z.string().min(1).optional(),
      })
      .prefault({}),
    timeoutMs: positiveMs.default(15_000),
    /** Run every step this often; a failed cycle backs off (doubling, with jitter) up to maxBackoffSeconds. */
    pollIntervalSeconds: z.number().int().min(1).default(60),
    maxBackoffSeconds: z.number().int().positive().default(600),
    /** Where enrollment ids, pending keys (0600) and peer-key history are kept between runs. */
    stateDirectory: filePath.optional(),
    steps: mcmSteps,
    /** Subject of our CA, CSRs and certificates (the scheme requires O and C; CN defaults to dfspId). */
    subject: z
      .strictObject({
        cn: z.string().min(1).optional(),
        o: z.string().min(1).optional(),
        c: z.string().regex(/^[A-Z]{2}$/, 'a two-letter upper-case ISO 3166 country code').optional(),
        ou: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Our CA: uploaded to the MCM, signs the hub's client CSR and our server certificate. Created when both files are missing. */
    dfspCa: z.strictObject({ certFile: filePath.optional(), keyFile: filePath.optional() }).prefault({}),
    /** Key size of generated RSA keys (client certificate, CA, server certificate). MCM validates 4096 by default. */
    rsaKeySize: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(4096),
    /** Renew our client and server certificates this many days before notAfter (PM4ML: CERT_EXPIRY_THRESHOLD_DAYS). */
    renewBeforeDays: z.number().positive().default(7),
    serverCert: z
      .strictObject({
        /** DNS names of our inbound server certificate. Default: the host of endpoints.callbackUrl. */
        dnsNames: z.array(z.string().min(1)).default([]),
        ipAddresses: z.array(z.string().min(1)).default([]),
        days: z.number().int().positive().max(730).default(365),
      })
      .prefault({}),
    hubClientCert: z
      .strictObject({
        /** Subject CN put into the hub's client certificate; MCM's /onboard uses it as our FQDN. Default: the host of endpoints.callbackUrl. */
        commonName: z.string().min(1).optional(),
        days: z.number().int().positive().max(730).default(365),
      })
      .prefault({}),
    jwsKey: z
      .strictObject({
        /** Start a rotation of our JWS key when it is this many days old (0: only when asked with onboard --rotate-jws-key). */
        rotateAfterDays: z.number().min(0).default(0),
        /** After publishing a new key, keep signing with the old one this long, so peers can fetch the new one first. */
        switchAfterSeconds: z.number().int().min(0).default(600),
      })
      .prefault({}),
    peerKeys: z
      .strictObject({
        /** A peer's changed key is kept as <fspId>.next.pem (both verify) this long before it replaces <fspId>.pem. */
        promoteAfterSeconds: z.number().int().min(0).default(3_600),
      })
      .prefault({}),
    endpoints: z
      .strictObject({
        /** Our callback URL as the hub should call it (POST .../endpoints/ingress). */
        callbackUrl: httpUrl.optional(),
        /** Our egress addresses, for the hub's inbound allowlist (POST .../endpoints/egress). */
        egressAddresses: z.array(ipv4OrCidr).default([]),
        egressPorts: z.array(portRange).min(1).default(['443']),
      })
      .prefault({}),
  })
  .prefault({});

const shape = z.strictObject({
  /** Own FSP id, the FSPIOP-Source we sign as (SDK: DFSP_ID). */
  dfspId: fspId,
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  admin: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(4002),
    })
    .prefault({}),
  reload: z
    .strictObject({
      /** Poll referenced files' content hashes this often (0 disables; SIGHUP always reloads). */
      pollIntervalMs: z.number().int().min(0).default(5_000),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      /** On SIGTERM/SIGINT: stop accepting, let in-flight requests finish for at most this long. */
      drainTimeoutMs: positiveMs.default(10_000),
    })
    .prefault({}),
  jws,
  inbound,
  outbound,
  mcm,
});

/** 127.0.0.0/8, ::1 (and its IPv4-mapped forms) and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  try {
    const addr = ipaddr.process(host.replace(/^\[|\]$/g, ''));
    return addr.range() === 'loopback';
  } catch {
    return false;
  }
}

/** Rules that span keys. Each issue names the key to fix, so all problems are reported at once. */
export const configSchema = shape.superRefine((c, ctx) => {
  const need: Need = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  if (c.inbound.enabled) {
    if (c.inbound.tls.enabled) {
      if (!c.inbound.tls.certFile) need(['inbound', 'tls', 'certFile'], 'required when inbound.tls.enabled (the server certificate)');
      if (!c.inbound.tls.keyFile) need(['inbound', 'tls', 'keyFile'], 'required when inbound.tls.enabled (the server key)');
      if (c.inbound.tls.caFiles.length === 0) need(['inbound', 'tls', 'caFiles'], 'at least one CA file: client certificates must chain to it');
    }
    if (c.inbound.allowlist.length === 0) need(['inbound', 'allowlist'], "at least one address or CIDR (the hub's egress ranges); an empty list would deny every connection");
    if (c.inbound.proxyProtocol.enabled && c.inbound.proxyProtocol.trustedProxies.length === 0) {
      need(['inbound', 'proxyProtocol', 'trustedProxies'], 'at least one load-balancer address when proxyProtocol.enabled');
    }
    if (c.jws.verify && !c.jws.keysDirectory) need(['jws', 'keysDirectory'], 'required when jws.verify is true (peer public keys)');
  }
  if (c.outbound.enabled) {
    if (!c.outbound.hub.default && Object.values(c.outbound.hub.routes).every((v) => v === undefined)) {
      need(['outbound', 'hub', 'default'], 'a default hub URL or at least one per-resource route is required');
    }
    if (c.outbound.tls.enabled && c.outbound.tls.caFiles.length === 0) need(['outbound', 'tls', 'caFiles'], 'at least one hub CA file when outbound.tls.enabled');
    if (Boolean(c.outbound.tls.certFile) !== Boolean(c.outbound.tls.keyFile)) {
      need(['outbound', 'tls', c.outbound.tls.certFile ? 'keyFile' : 'certFile'], 'certFile and keyFile go together');
    }
    if (c.jws.sign && !c.jws.signingKeyFile && !c.jws.signingKeyPkcs11) need(['jws', 'signingKeyFile'], 'required (or jws.signingKeyPkcs11) when jws.sign is true and outbound is enabled');
    if (!c.outbound.socketPath && !isLoopbackHost(c.outbound.host) && !c.outbound.allowNonLoopback) {
      need(['outbound', 'host'], 'not a loopback address: the core\'s calls are unauthenticated; set outbound.allowNonLoopback: true to bind it anyway');
    }
    const o = c.outbound.oauth;
    if (o.tokenEndpoint) {
      if (!o.clientKey) need(['outbound', 'oauth', 'clientKey'], 'required with oauth.tokenEndpoint');
      if (!o.clientSecret) need(['outbound', 'oauth', 'clientSecret'], 'required with oauth.tokenEndpoint');
      if (o.staticToken) need(['outbound', 'oauth', 'staticToken'], 'set either tokenEndpoint (client credentials) or staticToken, not both');
    } else if (o.clientKey || o.clientSecret) {
      need(['outbound', 'oauth', 'tokenEndpoint'], 'required when clientKey/clientSecret are set');
    }
    if (o.mtls && !c.outbound.tls.certFile) need(['outbound', 'oauth', 'mtls'], 'needs outbound.tls.certFile/keyFile (the client certificate to present)');
  }
  if (c.mcm.enabled) checkMcm(c, need);
  if (c.jws.signingKeyFile && c.jws.signingKeyPkcs11) need(['jws', 'signingKeyPkcs11'], 'set signingKeyFile or signingKeyPkcs11, not both');
  const seen = new Set<string>([c.dfspId]);
  c.jws.identities.forEach((id, i) => {
    if (id.signingKeyFile && id.signingKeyPkcs11) need(['jws', 'identities', i, 'signingKeyPkcs11'], 'set signingKeyFile or signingKeyPkcs11, not both');
    else if (!id.signingKeyFile && !id.signingKeyPkcs11) need(['jws', 'identities', i, 'signingKeyFile'], 'required (or signingKeyPkcs11): the key this identity signs with');
    if (seen.has(id.fspId)) need(['jws', 'identities', i, 'fspId'], `duplicate identity '${id.fspId}'`);
    seen.add(id.fspId);
  });
  if (c.inbound.enabled && c.outbound.enabled && !c.outbound.socketPath) {
    const portsClash = c.inbound.port !== 0 && c.inbound.port === c.outbound.port;
    if (portsClash) need(['outbound', 'port'], 'must differ from inbound.port');
  }
  if (c.admin.enabled && c.admin.port !== 0) {
    if ((c.inbound.enabled && c.admin.port === c.inbound.port) || (c.outbound.enabled && !c.outbound.socketPath && c.admin.port === c.outbound.port)) {
      need(['admin', 'port'], 'the admin listener never shares a port with the gateways');
    }
  }
});

type Need = (path: (string | number)[], message: string) => void;

/** The MCM steps write the files the rest of the config names, so each enabled step needs its paths. */
function checkMcm(c: z.infer<typeof shape>, need: Need): void {
  const m = c.mcm;
  const s = m.steps;
  if (!m.url) need(['mcm', 'url'], 'required when mcm.enabled (the MCM API base URL, ending in /api)');
  if (!m.stateDirectory) need(['mcm', 'stateDirectory'], 'required when mcm.enabled (enrollment ids and pending keys live there)');
  if (m.oauth.tokenEndpoint && !m.oauth.clientSecret) need(['mcm', 'oauth', 'clientSecret'], 'required with mcm.oauth.tokenEndpoint');
  if (!m.oauth.tokenEndpoint && m.oauth.clientSecret) need(['mcm', 'oauth', 'tokenEndpoint'], 'required when mcm.oauth.clientSecret is set');
  const needsSubject = s.dfspCa || s.serverCert || s.clientCert || s.hubClientCert;
  if (needsSubject && !m.subject.o) need(['mcm', 'subject', 'o'], 'required (the scheme subject has CN, O and C)');
  if (needsSubject && !m.subject.c) need(['mcm', 'subject', 'c'], 'required (the scheme subject has CN, O and C)');
  if ((s.dfspCa || s.hubClientCert || s.serverCert) && (!m.dfspCa.certFile || !m.dfspCa.keyFile)) {
    need(['mcm', 'dfspCa', m.dfspCa.certFile ? 'keyFile' : 'certFile'], 'our CA certificate and key files (created by onboard when both are missing)');
  }
  if (s.hubCa && c.outbound.tls.caFiles.length === 0) need(['outbound', 'tls', 'caFiles'], 'mcm.steps.hubCa writes the hub CA into the first entry');
  if (s.clientCert && (!c.outbound.tls.certFile || !c.outbound.tls.keyFile)) {
    need(['outbound', 'tls', c.outbound.tls.certFile ? 'keyFile' : 'certFile'], 'mcm.steps.clientCert installs our hub-signed client certificate and key here');
  }
  if (s.serverCert && (!c.inbound.tls.certFile || !c.inbound.tls.keyFile)) {
    need(['inbound', 'tls', c.inbound.tls.certFile ? 'keyFile' : 'certFile'], 'mcm.steps.serverCert keeps our server certificate and key here');
  }
  if (s.serverCert && !m.endpoints.callbackUrl && m.serverCert.dnsNames.length === 0 && m.serverCert.ipAddresses.length === 0) {
    need(['mcm', 'serverCert', 'dnsNames'], 'at least one name for the server certificate (or set mcm.endpoints.callbackUrl)');
  }
  if (s.hubClientCert && !m.hubClientCert.commonName && !m.endpoints.callbackUrl) {
    need(['mcm', 'hubClientCert', 'commonName'], 'required without mcm.endpoints.callbackUrl (MCM takes our FQDN from this CN)');
  }
  if (s.hubClientCert && c.inbound.enabled && c.inbound.tls.enabled && m.dfspCa.certFile && !c.inbound.tls.caFiles.some((f) => normalize(f) === normalize(m.dfspCa.certFile!))) {
    need(['inbound', 'tls', 'caFiles'], "must include mcm.dfspCa.certFile: the hub's client certificate is the one we sign with our CA");
  }
  if (s.jwsKey && !c.jws.signingKeyFile && !c.jws.signingKeyPkcs11) need(['jws', 'signingKeyFile'], 'mcm.steps.jwsKey publishes (and creates when missing) our JWS key here, or the public half of jws.signingKeyPkcs11');
  if (s.peerKeys && !c.jws.keysDirectory) need(['jws', 'keysDirectory'], 'mcm.steps.peerKeys writes peer keys here');
  if (s.endpoints) {
    if (!m.endpoints.callbackUrl) need(['mcm', 'endpoints', 'callbackUrl'], 'required with mcm.steps.endpoints (the URL the hub calls us at)');
    if (m.endpoints.egressAddresses.length === 0) need(['mcm', 'endpoints', 'egressAddresses'], 'at least one address (the MCM refuses an empty list)');
  }
}

export type SidecarConfig = z.infer<typeof configSchema>;
export type InboundConfig = SidecarConfig['inbound'];
export type OutboundConfig = SidecarConfig['outbound'];
export type JwsConfig = SidecarConfig['jws'];
export type HubResource = keyof SidecarConfig['outbound']['hub']['routes'];
export const HUB_RESOURCES: readonly HubResource[] = [
  'parties', 'participants', 'quotes', 'transfers', 'bulkQuotes', 'bulkTransfers',
  'transactionRequests', 'authorizations', 'fxQuotes', 'fxTransfers', 'ping',
];

/** The raw object schema, for tools that walk keys (env mapping, the example-config test). */
export const configShape = shape;

/**
 * Keys whose values are secrets: never logged, redacted in `check-config` output, and settable
 * from a file with the `_FILE` environment suffix.
 */
export const SECRET_PATHS = ['outbound.oauth.clientSecret', 'outbound.oauth.staticToken', 'outbound.oauth.clientKey', 'mcm.oauth.clientSecret'] as const;

/**
 * Keys a reload may not change: they are bound at start (sockets, server timeouts, threads, the
 * poller itself). A reload that changes one is refused, so a change never silently fails to apply.
 * A path covers every key below it. config.example.yaml marks exactly these "reloadable: no".
 */
export const RESTART_ONLY_PATHS = [
  'dfspId',
  'log',
  'admin',
  'reload',
  'shutdown',
  'inbound.enabled',
  'inbound.host',
  'inbound.port',
  'inbound.tls.enabled',
  'inbound.proxyProtocol.enabled',
  'inbound.requestTimeoutMs',
  'inbound.headersTimeoutMs',
  'inbound.keepAliveTimeoutMs',
  'inbound.maxHeaderBytes',
  'outbound.enabled',
  'outbound.host',
  'outbound.port',
  'outbound.socketPath',
  'outbound.allowNonLoopback',
  'outbound.requestTimeoutMs',
  'outbound.keepAliveTimeoutMs',
  'outbound.workers',
  'mcm.enabled',
  'mcm.stateDirectory',
] as const;
