/**
 * `dfsp-sidecar doctor [--config FILE] [--json] [--timeout MS] [--party TYPE/ID | --ping]`: "why
 * can't I reach the hub?", answered layer by layer so the failing layer is named: config and files,
 * then for every hub origin DNS -> TCP -> TLS (hub certificate against our CA bundle, our client
 * certificate accepted) -> HTTP, then the OAuth token endpoint, then, when asked, a real FSPIOP
 * request through an outbound gateway (signed, with our token and client certificate) and the hub's
 * verdict on it, then our own credentials' expiry. It uses the same compiled snapshot and gateway
 * code as `run`, so what passes here is what the gateways will do.
 *
 * A doctor leaves no trace that looks like an incident at the other end: TCP, TLS and HTTP run on
 * one connection (no connection opened and dropped before its handshake, which a listener counts
 * as an aborted handshake), and the HTTP probe is marked (x-dfsp-sidecar-probe: doctor) so that an
 * inbound listener of ours answers it itself and counts it apart (src/inbound/probe.ts).
 *
 * Exit 0 when every check passes, 1 when any fails, 2 on a config or usage error.
 */
import { randomUUID, verify } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { deepFreeze, loadConfig } from '../config/load.js';
import type { SidecarConfig } from '../config/schema.js';
import { certificatesIn } from '../mcm/files.js';
import { mcmApiFromConfig } from '../mcm/setup.js';
import { DOCTOR_PROBE, PROBE_ANSWERED, PROBE_HEADER } from '../inbound/probe.js';
import { createMetrics } from '../metrics/registry.js';
import { createOutboundGateway } from '../outbound/gateway.js';
import { closeAllTokens, describeKey, describeToken, tokenSign } from '../crypto/pkcs11/token.js';
import { createTokenFetcher } from '../outbound/token-client.js';
import type { UpstreamSpec } from '../outbound/routes.js';
import { compileSnapshot, type RuntimeSnapshot } from '../runtime/compile.js';
import { createSilentLogger } from '../shared/log.js';
import { createSnapshotStore } from '../shared/state.js';
import { VERSION } from '../version.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type Command } from './io.js';

const PROBE_USER_AGENT = `dfsp-sidecar-doctor/${VERSION}`;

const HELP = `usage: dfsp-sidecar doctor [--config FILE] [--json] [--timeout MS] [--party TYPE/ID[/SUBID] | --ping]

Checks, in order, and names the first layer that fails for each target:
  config      the configuration and every file it references
  hsm         each signing key kept in a PKCS#11 token: the token opens, the key is found, and a
              test signature made in the token verifies with the key's public half
  hub         for each hub origin, on one connection: dns, tcp, tls (hub certificate vs
              outbound.tls.caFiles, our client certificate accepted), http (HEAD / marked as a
              doctor probe: any status proves TLS and the client certificate were accepted)
  token       the OAuth client_credentials request (the token itself is never printed)
  mcm         with mcm.enabled, the Connection Manager: dns, tls (its certificate vs mcm.caFiles),
              token (mcm.oauth), api (GET /hub/ca answers a usable hub CA); runs even before
              onboarding, when the files the MCM steps write do not exist yet
  fspiop      with --party or --ping: a real FSPIOP request through an outbound gateway (our
              signature, token and client certificate) and the hub's verdict on it:
                --party MSISDN/123456789   GET /parties/MSISDN/123456789 for a test party
                                           (GET carries no signature in FSPIOP: token and headers)
                --ping                     POST /ping, signed: signature and token
  expiry      our certificates: validity and days left
Exit 0: all pass; 1: a check failed; 2: config or usage error.
`;

export interface Check {
  target: string;
  layer: string;
  ok: boolean;
  /** Passes, but needs attention soon (a certificate close to expiry). */
  warn?: boolean;
  detail: string;
  hint?: string;
}

/** Certificates closer than this to expiry are flagged (the scheme renews at 18 of 24 months; hub-issued ones live ~29 days). */
const EXPIRY_WARN_DAYS = 14;

export const doctorCommand: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        party: { type: 'string' },
        ping: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  const timeoutMs = values.timeout === undefined ? 5_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout: expected milliseconds, got '${values.timeout}'`);
  if (values.party !== undefined && values.ping === true) throw new UsageError('--party and --ping each send one FSPIOP request: choose one');
  const party = values.party === undefined ? undefined : parseParty(values.party);
  const fspiop: FspiopProbe | undefined = party ? { kind: 'party', ...party } : values.ping === true ? { kind: 'ping' } : undefined;

  const loaded = await loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  const compiled = loaded.ok ? await compileSnapshot(loaded.config) : undefined;
  const issues = !loaded.ok ? loaded.issues : compiled && !compiled.ok ? compiled.issues : [];
  // Before onboarding, the files the MCM steps will write do not exist yet and the config does not
  // compile; the MCM itself can be checked all the same, and is what the operator needs then.
  const mcmChecks = loaded.ok && loaded.config.mcm.enabled ? await checkMcm(loaded.config, timeoutMs) : [];
  if (issues.length > 0 || !compiled?.ok) {
    closeAllTokens();
    const checks: Check[] = [...issues.map((i) => ({ target: 'config', layer: 'config', ok: false, detail: `${i.path}: ${i.message}` })), ...mcmChecks];
    if (loaded.ok && loaded.config.mcm.enabled && issues.some((i) => /file not found/.test(i.message))) {
      checks.push({ target: 'config', layer: 'config', ok: false, detail: 'files the MCM steps write are missing', hint: 'run dfsp-sidecar onboard (it creates and fetches them), then doctor again' });
    }
    print(io, checks, values.json === true);
    return EXIT_USAGE;
  }

  const checks: Check[] = [{ target: 'config', layer: 'config', ok: true, detail: `${loaded.ok ? (loaded.file ?? '(environment)') : ''}: valid, every referenced file loaded` }];
  try {
    checks.push(...checkTokenKeys(compiled.snapshot));
    checks.push(...(await checkHub(compiled.snapshot, timeoutMs)));
    checks.push(...(await checkToken(compiled.snapshot)));
    checks.push(...mcmChecks);
    if (fspiop) checks.push(...(await checkFspiop(compiled.snapshot.config, fspiop, timeoutMs)));
    checks.push(...checkInbound(compiled.snapshot));
  } finally {
    closeAllTokens();
  }
  print(io, checks, values.json === true);
  return checks.every((c) => c.ok) ? EXIT_OK : EXIT_REFUSED;
};

function print(io: Parameters<Command>[1], checks: Check[], json: boolean): void {
  if (json) {
    io.stdout(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2)}\n`);
    return;
  }
  for (const c of checks) {
    io.stdout(`${!c.ok ? 'FAIL' : c.warn ? 'WARN' : 'ok  '}  ${c.target.padEnd(32)} ${c.layer.padEnd(8)} ${c.detail}\n`);
    if ((!c.ok || c.warn) && c.hint) io.stdout(`${' '.repeat(48)}hint: ${c.hint}\n`);
  }
}

async function checkHub(s: RuntimeSnapshot, timeoutMs: number): Promise<Check[]> {
  const out = s.outbound;
  if (!out) return [];
  const results: Check[] = [];
  for (const upstream of out.routes.upstreams) results.push(...(await checkUpstream(upstream, out.hubConnect.secureContext, timeoutMs)));
  return results;
}

async function checkUpstream(u: UpstreamSpec, secureContext: import('node:tls').SecureContext | undefined, timeoutMs: number): Promise<Check[]> {
  const target = u.origin;
  const port = Number(new URL(u.origin).port) || (u.protocol === 'https:' ? 443 : 80);
  const checks: Check[] = [];
  const address = await dnsLayer(target, u.hostname, checks, 'the hub host name does not resolve from here: check DNS or the route URL');
  if (address === undefined) return checks;
  let raw: Socket | undefined;
  const tcp = await withTimeout(timeoutMs, (done) => {
    const t0 = Date.now();
    raw = tcpConnect({ host: address, port });
    raw.once('connect', () => done({ ok: true, detail: `${address}:${port} connected in ${Date.now() - t0} ms` }));
    raw.once('error', (err) => done({ ok: false, detail: errText(err) }));
    return () => raw?.destroy();
  });
  checks.push({ target, layer: 'tcp', ...tcp, ...(tcp.ok ? {} : { hint: 'nothing answers on that port from here: firewall, egress IP not allowlisted at the hub, or wrong port' }) });
  if (!tcp.ok || !raw) {
    raw?.destroy();
    return checks;
  }

  // TLS runs on the connection the TCP check opened: a second connection, dropped before its
  // handshake, is what an inbound listener counts as an aborted handshake.
  let socket: Socket = raw;
  if (u.protocol === 'https:') {
    const tcpSocket = raw;
    let secure: TLSSocket | undefined;
    const tls = await withTimeout(timeoutMs, (done) => {
      secure = tlsConnect({ socket: tcpSocket, servername: u.servername, ...(secureContext ? { secureContext } : {}), rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] });
      secure.once('secureConnect', () => {
        const peer = (secure as TLSSocket).getPeerCertificate();
        done({ ok: true, detail: `${(secure as TLSSocket).getProtocol() ?? 'TLS'}; hub certificate '${peer.subject?.CN ?? '?'}' issued by '${peer.issuer?.CN ?? '?'}', valid to ${peer.valid_to}` });
      });
      secure.once('error', (err) => done({ ok: false, detail: errText(err) }));
      return () => secure?.destroy();
    });
    checks.push({ target, layer: 'tls', ...tls, ...(tls.ok ? {} : { hint: tlsHint(tls.detail) }) });
    if (!tls.ok || !secure) {
      secure?.destroy();
      tcpSocket.destroy();
      return checks;
    }
    socket = secure;
  } else {
    checks.push({ target, layer: 'tls', ok: true, detail: 'plain http:// route (outbound.tls.enabled is false): no TLS' });
  }

  // TLS 1.3 reports a rejected client certificate only after the handshake, on the first read; an
  // HTTP exchange is what proves the hub accepted us. The probe is marked so that a listener of
  // ours answers it itself instead of forwarding it to its core.
  const s = socket;
  const http = await withTimeout(timeoutMs, (done) => {
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!status || !text.includes('\r\n\r\n')) return;
      const ours = new RegExp(`\r\n${PROBE_HEADER}: *${PROBE_ANSWERED}\r\n`, 'i').test(text.slice(0, text.indexOf('\r\n\r\n') + 2));
      done({
        ok: true,
        detail: ours
          ? `a dfsp-sidecar inbound listener answered the doctor probe (HTTP ${status[1]}; answered by the listener, not forwarded to its core)`
          : `the hub answered HTTP ${status[1]} to HEAD / (any status proves TLS and the client certificate were accepted)`,
      });
    });
    s.once('error', (err) => done({ ok: false, detail: errText(err) }));
    s.once('close', () => done({ ok: false, detail: 'the hub closed the connection without an HTTP answer' }));
    s.write(`HEAD / HTTP/1.1\r\nHost: ${u.hostname}\r\nUser-Agent: ${PROBE_USER_AGENT}\r\n${PROBE_HEADER}: ${DOCTOR_PROBE}\r\nConnection: close\r\n\r\n`);
    return () => s.destroy();
  });
  // Close the way a client that is done does (close_notify, FIN), not with a reset.
  s.end();
  s.destroySoon?.();
  checks.push({ target, layer: 'http', ...http, ...(http.ok ? {} : { hint: tlsHint(http.detail) }) });
  return checks;
}

/** The dns layer: an address literal passes as it is; a name is resolved and its first address used. Undefined when it does not resolve (the failing check is pushed). */
async function dnsLayer(target: string, hostname: string, checks: Check[], hint: string): Promise<string | undefined> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return host;
  try {
    const found = await lookup(host, { all: true });
    checks.push({ target, layer: 'dns', ok: true, detail: found.map((a) => a.address).join(', ') });
    return (found[0] as { address: string }).address;
  } catch (err) {
    checks.push({ target, layer: 'dns', ok: false, detail: errText(err), hint });
    return undefined;
  }
}

type FspiopProbe = { kind: 'ping' } | { kind: 'party'; type: string; id: string; subId?: string };

function parseParty(text: string): { type: string; id: string; subId?: string } {
  const parts = text.split('/');
  const ok = (p: string | undefined) => p !== undefined && /^[A-Za-z0-9_.@+-]{1,128}$/.test(p);
  if (parts.length < 2 || parts.length > 3 || !parts.every(ok)) throw new UsageError(`--party: expected TYPE/ID or TYPE/ID/SUBID, e.g. MSISDN/123456789; got '${text}'`);
  const [type, id, subId] = parts as [string, string, string | undefined];
  return { type, id, ...(subId ? { subId } : {}) };
}

/**
 * A real FSPIOP request, through an outbound gateway built from this config (listening on an
 * ephemeral loopback port for the duration), so it is signed, carries our token and our client
 * certificate exactly as the core's requests will. The verdict is the hub's own answer; an answer
 * our gateway produced (no token, hub unreachable) is told apart by its sidecarReason extension.
 */
async function checkFspiop(config: SidecarConfig, probe: FspiopProbe, timeoutMs: number): Promise<Check[]> {
  const path = probe.kind === 'ping' ? '/ping' : `/parties/${encodeURIComponent(probe.type)}/${encodeURIComponent(probe.id)}${probe.subId ? `/${encodeURIComponent(probe.subId)}` : ''}`;
  const target = `${probe.kind === 'ping' ? 'POST' : 'GET'} ${path}`;
  if (!config.outbound.enabled) return [{ target, layer: 'fspiop', ok: false, detail: 'outbound.enabled is false: there is no outbound gateway to send through', hint: 'enable the outbound gateway' }];
  const probeConfig = deepFreeze({
    ...config,
    inbound: { ...config.inbound, enabled: false },
    admin: { ...config.admin, enabled: false },
    outbound: { ...config.outbound, host: '127.0.0.1', port: 0, socketPath: undefined, workers: 0 as const },
  }) as SidecarConfig;
  const compiled = await compileSnapshot(probeConfig);
  if (!compiled.ok) return [{ target, layer: 'fspiop', ok: false, detail: compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; ') }];
  const gateway = createOutboundGateway({ store: createSnapshotStore(compiled.snapshot), metrics: createMetrics({ defaultMetrics: false }), log: createSilentLogger() });
  try {
    const address = await gateway.listen();
    if (typeof address === 'string') throw new Error('the probe gateway bound a unix socket');
    // The gateway fetches its token on its own; wait for it (or the deadline) as the core would.
    const deadline = Date.now() + timeoutMs;
    while (!gateway.readiness().ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const requestId = `doctor-${randomUUID()}`;
    const body = probe.kind === 'ping' ? Buffer.from(JSON.stringify({ requestId: randomUUID() })) : undefined;
    const resource = probe.kind === 'ping' ? 'ping' : 'parties';
    const answer = await send(address.port, {
      method: probe.kind === 'ping' ? 'POST' : 'GET',
      path,
      headers: {
        accept: `application/vnd.interoperability.${resource}+json;version=1.0`,
        ...(body ? { 'content-type': `application/vnd.interoperability.${resource}+json;version=1.0`, 'content-length': String(body.length) } : {}),
        date: new Date().toUTCString(),
        'x-request-id': requestId,
        'user-agent': PROBE_USER_AGENT,
      },
      body,
      timeoutMs,
    });
    return [hubVerdict(target, probe, answer, requestId)];
  } catch (err) {
    return [{ target, layer: 'fspiop', ok: false, detail: errText(err), hint: 'the request did not complete: see the layers above' }];
  } finally {
    await gateway.close(Date.now());
  }
}

interface Answer {
  status: number;
  body: string;
}

function send(port: number, r: { method: string; path: string; headers: Record<string, string>; body: Buffer | undefined; timeoutMs: number }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, timeout: r.timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 8192) text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${r.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

function hubVerdict(target: string, probe: FspiopProbe, a: Answer, requestId: string): Check {
  let info: { errorCode?: string; errorDescription?: string; extensionList?: { extension?: Array<{ key?: string; value?: string }> } } | undefined;
  try {
    info = (JSON.parse(a.body) as { errorInformation?: typeof info }).errorInformation;
  } catch {
    info = undefined;
  }
  const ours = info?.extensionList?.extension?.find((e) => e.key === 'sidecarReason')?.value;
  const signed = probe.kind === 'ping' ? 'our signature' : 'our request (GET carries no signature in FSPIOP)';
  const code = info?.errorCode ? ` ${info.errorCode} ${info.errorDescription ?? ''}`.trimEnd() : '';
  const base = { target, layer: 'fspiop' };
  if (ours !== undefined) {
    return { ...base, ok: false, detail: `our outbound gateway answered HTTP ${a.status}${code} (${ours}) before the hub gave a verdict`, hint: 'the layers above say which (token, TLS, route); fix that first' };
  }
  if (a.status >= 200 && a.status < 300) {
    return { ...base, ok: true, detail: `the hub accepted ${signed} and our token: HTTP ${a.status} (x-request-id ${requestId}; the result comes back as a callback to the inbound listener)` };
  }
  if (a.status === 401) return { ...base, ok: false, detail: `the hub refused our token: HTTP 401${code}`, hint: 'check outbound.oauth (client key, secret, scope) with the hub operator' };
  if (a.status === 403) return { ...base, ok: false, detail: `the hub forbade the request: HTTP 403${code}`, hint: 'our token or client certificate is not authorised for this resource: ask the hub operator which scope or identity it expects' };
  if (info?.errorCode === '3105' || info?.errorCode === '3106') {
    return { ...base, ok: false, detail: `the hub refused our signature: HTTP ${a.status}${code}`, hint: 'the hub does not have our current JWS public key (jws.signingKeyFile): send it the public key, or check it has the one matching this key' };
  }
  if (a.status === 404 || a.status === 405) {
    return { ...base, ok: false, detail: `the hub does not serve ${target}: HTTP ${a.status}${code}`, hint: probe.kind === 'ping' ? 'this hub has no ping endpoint: use --party TYPE/ID with a test party instead' : 'check the parties route (outbound.hub.routes.parties or outbound.hub.default)' };
  }
  return { ...base, ok: false, detail: `the hub answered HTTP ${a.status}${code}`, hint: 'the hub refused the request itself; its error code says why' };
}

/** The MCM layer by layer: DNS, TLS against mcm.caFiles, the token, then GET /hub/ca. */
async function checkMcm(config: SidecarConfig, timeoutMs: number): Promise<Check[]> {
  const url = new URL(config.mcm.url!);
  const target = `mcm ${url.origin}`;
  const checks: Check[] = [];
  const address = await dnsLayer(target, url.hostname, checks, 'the MCM host name does not resolve from here: check DNS or mcm.url');
  if (address === undefined) return checks;
  let ca: string | undefined;
  try {
    ca = config.mcm.caFiles.length > 0 ? (await Promise.all(config.mcm.caFiles.map((f) => readFile(f, 'utf8')))).join('\n') : undefined;
  } catch (err) {
    checks.push({ target, layer: 'tls', ok: false, detail: `cannot read mcm.caFiles: ${errText(err)}` });
    return checks;
  }
  if (url.protocol === 'https:') {
    const port = Number(url.port) || 443;
    let socket: TLSSocket | undefined;
    const tls = await withTimeout(timeoutMs, (done) => {
      socket = tlsConnect({ host: address, port, servername: isIP(url.hostname) ? undefined : url.hostname, ...(ca ? { ca } : {}), rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] } as import('node:tls').ConnectionOptions);
      socket.once('secureConnect', () => {
        const peer = (socket as TLSSocket).getPeerCertificate();
        done({ ok: true, detail: `${(socket as TLSSocket).getProtocol() ?? 'TLS'}; certificate '${peer.subject?.CN ?? '?'}' issued by '${peer.issuer?.CN ?? '?'}', valid to ${peer.valid_to}` });
        (socket as TLSSocket).end();
      });
      socket.once('error', (err) => done({ ok: false, detail: errText(err) }));
      return () => socket?.destroy();
    });
    checks.push({ target, layer: 'tls', ...tls, ...(tls.ok ? {} : { hint: /UNABLE_TO_VERIFY|SELF_SIGNED|local issuer/i.test(tls.detail) ? "the MCM's certificate does not chain to mcm.caFiles: ask the hub for the CA of its MCM" : 'nothing answers TLS there: check mcm.url and the network path' }) });
    if (!tls.ok) return checks;
  }
  const api = await mcmApiFromConfig(config);
  try {
    if (config.mcm.oauth.tokenEndpoint) {
      try {
        await api.checkToken();
        checks.push({ target, layer: 'token', ok: true, detail: `${new URL(config.mcm.oauth.tokenEndpoint).origin} issued a token to client '${config.mcm.oauth.clientId ?? config.dfspId}'` });
      } catch (err) {
        checks.push({ target, layer: 'token', ok: false, detail: errText(err), hint: 'check mcm.oauth (the client id is our DFSP id unless set; the secret comes from the MCM portal)' });
        return checks;
      }
    } else {
      checks.push({ target, layer: 'token', ok: true, detail: 'no mcm.oauth.tokenEndpoint: calls go unauthenticated (an MCM with OIDC off)' });
    }
    try {
      const hubCa = await api.getHubCa();
      const root = certificatesIn(hubCa.rootCertificate, 'rootCertificate');
      checks.push(
        'error' in root
          ? { target, layer: 'api', ok: false, detail: `GET /hub/ca answered without a usable CA: ${root.error}`, hint: 'the hub has no CA set up in its MCM yet: ask the hub operator' }
          : { target, layer: 'api', ok: true, detail: `GET /hub/ca: hub CA '${root.certs[0]!.subjectText}', valid to ${root.certs[0]!.notAfter.toISOString()}` },
      );
    } catch (err) {
      checks.push({ target, layer: 'api', ok: false, detail: errText(err), hint: /401|refused our credentials/.test(errText(err)) ? 'the MCM refused our token: is this DFSP created at the hub, with this client?' : 'check mcm.url (it ends in /api)' });
    }
  } finally {
    await api.close();
  }
  return checks;
}

async function checkToken(s: RuntimeSnapshot): Promise<Check[]> {
  const token = s.outbound?.token;
  if (!token) return [{ target: 'oauth', layer: 'token', ok: true, detail: 'no OAuth configured: no Authorization header is sent' }];
  if (token.mode === 'static') return [{ target: 'oauth', layer: 'token', ok: true, detail: 'static token configured (not checked against the hub)' }];
  const fetcher = createTokenFetcher(token);
  try {
    const grant = await fetcher.fetch();
    return [{ target: `${token.origin}${token.path}`, layer: 'token', ok: true, detail: `token issued${grant.expiresInSeconds === undefined ? ' (no expires_in)' : `, expires in ${grant.expiresInSeconds} s`}` }];
  } catch (err) {
    const detail = errText(err);
    const hint = /HTTP 40[013]/.test(detail)
      ? 'the endpoint refused our credentials: check outbound.oauth.clientKey/clientSecret (and scope)'
      : /unreachable|ECONNREFUSED|ENOTFOUND|timed? ?out/i.test(detail)
        ? 'the token endpoint cannot be reached: check outbound.oauth.tokenEndpoint and the network path'
        : 'check the endpoint URL, its certificate (hub CA) and oauth.mtls if it wants our client certificate';
    return [{ target: `${token.origin}${token.path}`, layer: 'token', ok: false, detail, hint }];
  } finally {
    await fetcher.close();
  }
}

/**
 * Signing keys in a PKCS#11 token, one check each: a signature made now through the same call the
 * gateway uses, verified with the key's public half (compiling the config already opened the token
 * and found the key; this proves the signing path itself).
 */
function checkTokenKeys(s: RuntimeSnapshot): Check[] {
  const out: Check[] = [];
  for (const id of s.outbound?.identities.values() ?? []) {
    const key = id.key;
    if (key?.kind !== 'pkcs11') continue;
    const target = `jws-signing:${id.fspId}`;
    const where = `${key.alg} key (${describeKey(key.ref)}) in ${describeToken(key.ref)}`;
    const input = Buffer.from(`dfsp-sidecar doctor ${randomUUID()}`);
    try {
      const signature = tokenSign(key.ref, key.alg, input);
      const ok = key.alg === 'RS256' ? verify('sha256', input, key.publicKey, signature) : verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      out.push(
        ok
          ? { target, layer: 'hsm', ok: true, detail: `${where}: test signature made in the token verifies (spki sha256 ${key.fingerprint})` }
          : { target, layer: 'hsm', ok: false, detail: `${where}: the token's signature does not verify with the key's public half`, hint: 'the public key object in the token does not belong to the private key: regenerate with pki jws-keys --pkcs11' },
      );
    } catch (err) {
      out.push({ target, layer: 'hsm', ok: false, detail: errText(err), hint: 'the token, its module or the PIN: docs/hsm.md, troubleshooting' });
    }
  }
  return out;
}

function checkInbound(s: RuntimeSnapshot): Check[] {
  const now = Date.now();
  return s.artefacts
    .filter((a) => a.kind === 'certificate' && a.notAfter)
    .map((a) => {
      const days = Math.floor(((a.notAfter as Date).getTime() - now) / 86_400_000);
      const soon = days < EXPIRY_WARN_DAYS;
      // An expired certificate already failed compilation (the config check); here it can only be close.
      return {
        target: a.name,
        layer: 'expiry',
        ok: true,
        ...(soon ? { warn: true, hint: 'renew it now: dfsp-sidecar pki server-cert / csr, then replace the file (it reloads by itself)' } : {}),
        detail: `${a.subject ?? ''}: ${days} days left`,
      };
    });
}

/** Run a probe with a deadline; on timeout the probe's own cleanup (destroying its socket) runs. */
function withTimeout(ms: number, start: (done: (r: { ok: boolean; detail: string }) => void) => () => void): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    const finish = (r: { ok: boolean; detail: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, detail: `no answer within ${ms} ms` });
      cleanup?.();
    }, ms);
    cleanup = start(finish);
  });
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  return [e.code, e.reason ?? e.message].filter(Boolean).join(': ');
}

function tlsHint(detail: string): string {
  if (/UNABLE_TO_VERIFY|SELF_SIGNED|unable to get local issuer/i.test(detail)) return "the hub's certificate does not chain to outbound.tls.caFiles: ask the hub for its CA chain";
  if (/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i.test(detail)) return "the hub's certificate does not name this host: fix the route URL or set outbound.tls.serverName";
  if (/CERT_HAS_EXPIRED/i.test(detail)) return "the hub's certificate has expired";
  if (/closed the connection without an HTTP answer/.test(detail)) {
    return 'the hub closed the connection right after the handshake: most likely it refused our client certificate (it must be signed by the hub CA: pki csr, then the hub signs it)';
  }
  if (/certificate required|unknown ca|bad certificate|alert/i.test(detail)) return 'the hub refused our client certificate: it must be signed by the hub CA (pki csr, then the hub signs it)';
  return 'see the detail; the layer above passed';
}
