/**
 * `dfsp-sidecar doctor [--config FILE] [--json] [--timeout MS]`: "why can't I reach the hub?",
 * answered layer by layer so the failing layer is named: config and files, then for every hub
 * origin DNS -> TCP -> TLS (hub certificate against our CA bundle, our client certificate accepted)
 * -> HTTP, then the OAuth token endpoint, then our own inbound credentials. It uses the same compiled
 * snapshot as `run` (same TLS contexts, same token request), so what passes here is what the
 * gateways will do. Exit 0 when every check passes, 1 when any fails, 2 on a config or usage error.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { compileSnapshot, type RuntimeSnapshot } from '../config/compile.js';
import { loadConfig } from '../config/load.js';
import { createTokenFetcher } from '../outbound/token-client.js';
import type { UpstreamSpec } from '../outbound/routes.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type Command } from './io.js';

const HELP = `usage: dfsp-sidecar doctor [--config FILE] [--json] [--timeout MS]

Checks, in order, and names the first layer that fails for each target:
  config      the configuration and every file it references
  hub         for each hub origin: dns, tcp, tls (hub certificate vs outbound.tls.caFiles,
              our client certificate accepted), http (an answer of any status)
  token       the OAuth client_credentials request (the token itself is never printed)
  inbound     our server certificate and CA bundle: validity and days left
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
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  const timeoutMs = values.timeout === undefined ? 5_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout: expected milliseconds, got '${values.timeout}'`);

  const loaded = await loadConfig({ file: values.config, env: io.env, cwd: io.cwd });
  const compiled = loaded.ok ? await compileSnapshot(loaded.config) : undefined;
  const issues = !loaded.ok ? loaded.issues : compiled && !compiled.ok ? compiled.issues : [];
  if (issues.length > 0 || !compiled?.ok) {
    const checks: Check[] = issues.map((i) => ({ target: 'config', layer: 'config', ok: false, detail: `${i.path}: ${i.message}` }));
    print(io, checks, values.json === true);
    return EXIT_USAGE;
  }

  const checks: Check[] = [{ target: 'config', layer: 'config', ok: true, detail: `${loaded.ok ? (loaded.file ?? '(environment)') : ''}: valid, every referenced file loaded` }];
  checks.push(...(await checkHub(compiled.snapshot, timeoutMs)));
  checks.push(...(await checkToken(compiled.snapshot)));
  checks.push(...checkInbound(compiled.snapshot));
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
  let address = u.hostname.replace(/^\[|\]$/g, '');
  if (!isIP(address)) {
    try {
      const found = await lookup(address, { all: true });
      checks.push({ target, layer: 'dns', ok: true, detail: found.map((a) => a.address).join(', ') });
      address = (found[0] as { address: string }).address;
    } catch (err) {
      checks.push({ target, layer: 'dns', ok: false, detail: errText(err), hint: 'the hub host name does not resolve from here: check DNS or the route URL' });
      return checks;
    }
  }
  const tcp = await withTimeout(timeoutMs, (done) => {
    const t0 = Date.now();
    const s = tcpConnect({ host: address, port });
    s.once('connect', () => {
      s.destroy();
      done({ ok: true, detail: `${address}:${port} connected in ${Date.now() - t0} ms` });
    });
    s.once('error', (err) => done({ ok: false, detail: errText(err) }));
    return () => s.destroy();
  });
  checks.push({ target, layer: 'tcp', ...tcp, ...(tcp.ok ? {} : { hint: 'nothing answers on that port from here: firewall, egress IP not allowlisted at the hub, or wrong port' }) });
  if (!tcp.ok) return checks;
  if (u.protocol !== 'https:') {
    checks.push({ target, layer: 'tls', ok: true, detail: 'plain http:// route (outbound.tls.enabled is false): no TLS' });
    return checks;
  }

  let socket: TLSSocket | undefined;
  const tls = await withTimeout(timeoutMs, (done) => {
    socket = tlsConnect({ host: address, port, servername: u.servername, ...(secureContext ? { secureContext } : {}), rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] });
    socket.once('secureConnect', () => {
      const peer = (socket as TLSSocket).getPeerCertificate();
      done({ ok: true, detail: `${(socket as TLSSocket).getProtocol() ?? 'TLS'}; hub certificate '${peer.subject?.CN ?? '?'}' issued by '${peer.issuer?.CN ?? '?'}', valid to ${peer.valid_to}` });
    });
    socket.once('error', (err) => done({ ok: false, detail: errText(err) }));
    return () => socket?.destroy();
  });
  checks.push({ target, layer: 'tls', ...tls, ...(tls.ok ? {} : { hint: tlsHint(tls.detail) }) });
  if (!tls.ok || !socket) return checks;

  // TLS 1.3 reports a rejected client certificate only after the handshake, on the first read; an
  // HTTP exchange is what proves the hub accepted us.
  const http = await withTimeout(timeoutMs, (done) => {
    const s = socket as TLSSocket;
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (status) done({ ok: true, detail: `the hub answered HTTP ${status[1]} to HEAD / (any status proves TLS and the client certificate were accepted)` });
    });
    s.once('error', (err) => done({ ok: false, detail: errText(err) }));
    s.once('close', () => done({ ok: false, detail: 'the hub closed the connection without an HTTP answer' }));
    s.write(`HEAD / HTTP/1.1\r\nHost: ${u.hostname}\r\nConnection: close\r\n\r\n`);
    return () => s.destroy();
  });
  socket.destroy();
  checks.push({ target, layer: 'http', ...http, ...(http.ok ? {} : { hint: tlsHint(http.detail) }) });
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
