/**
 * compileInbound through compileSnapshot: every referenced file read and cross-checked, every
 * problem reported with its config key (all of them, not the first), runtime objects built once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../../../src/runtime/compile.js';
import { configSchema } from '../../../src/config/schema.js';
import { inboundPki, makeCrl, type InboundPki } from '../../helpers/inbound-pki.js';

let dir: string;
let pki: InboundPki;
const f = (name: string) => join(dir, name);

beforeAll(async () => {
  pki = await inboundPki();
  dir = mkdtempSync(join(tmpdir(), 'inbound-compile-'));
  mkdirSync(f('peers'));
  writeFileSync(f('peers/payerfsp.pem'), pki.payerJws.publicPem);
  writeFileSync(f('server.pem'), pki.server.chainPem);
  writeFileSync(f('server.key'), pki.server.keyPem);
  writeFileSync(f('other.key'), pki.server2.keyPem);
  writeFileSync(f('hub-ca.pem'), pki.hubCa.certPem);
  writeFileSync(f('crl.pem'), pki.crlPem);
  writeFileSync(f('garbage.pem'), 'not a certificate');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(inbound: Record<string, any> = {}, jws: Record<string, any> = {}) {
  return configSchema.parse({
    dfspId: 'dfspa',
    jws: { keysDirectory: f('peers'), ...jws },
    outbound: { enabled: false },
    inbound: {
      host: '127.0.0.1',
      port: 0,
      allowlist: ['10.0.0.0/8'],
      ...inbound,
      tls: { certFile: f('server.pem'), keyFile: f('server.key'), caFiles: [f('hub-ca.pem')], ...inbound.tls },
    },
  });
}

describe('compileInbound', () => {
  it('builds the runtime: TLS options, matchers, identity rules, keys, core target', async () => {
    const r = await compileSnapshot(config({ core: { url: 'http://127.0.0.1:3000/api/' }, tls: { crlFiles: [f('crl.pem')], peerIdentity: { subjectCn: ['hub-client'] } } }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const rt = r.snapshot.inbound!;
    expect(rt.tls?.contextOptions.minVersion).toBe('TLSv1.2');
    expect(rt.tls?.contextOptions.crl).toHaveLength(1);
    expect(rt.tls?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(rt.allowlist.match('10.1.1.1')).toBe(true);
    expect(rt.trustedProxies).toBeUndefined();
    expect(rt.identity.acceptAny).toBe(false);
    expect(rt.jws.keys.bySource.get('payerfsp')).toHaveLength(1);
    expect(rt.core).toMatchObject({ origin: 'http://127.0.0.1:3000', basePath: '/api', secureContext: undefined });
    const names = r.snapshot.artefacts.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['inbound.server-cert', 'inbound.server-chain:1', 'inbound.ca:0', 'peer-jws:payerfsp']));
    expect(r.snapshot.watched.has(f('server.key'))).toBe(true);
    expect(r.snapshot.watched.get(f('peers'))?.kind).toBe('directory');
  });

  it('gives the same TLS fingerprint for the same files, another after a change', async () => {
    const a = await compileSnapshot(config());
    const b = await compileSnapshot(config());
    const c = await compileSnapshot(config({ tls: { minVersion: 'TLSv1.3' } }));
    if (!a.ok || !b.ok || !c.ok) throw new Error('compile');
    expect(a.snapshot.inbound!.tls!.fingerprint).toBe(b.snapshot.inbound!.tls!.fingerprint);
    expect(c.snapshot.inbound!.tls!.fingerprint).not.toBe(a.snapshot.inbound!.tls!.fingerprint);
  });

  it('reports every problem with its key, not just the first', async () => {
    const r = await compileSnapshot(
      config({
        headersTimeoutMs: 60_000,
        requestTimeoutMs: 30_000,
        core: { url: 'http://127.0.0.1:3000/?x=1' },
        tls: { keyFile: f('other.key'), caFiles: [f('garbage.pem'), f('missing.pem')], crlFiles: [f('garbage.pem')] },
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byKey = (k: string) => r.issues.filter((i) => i.path === k).map((i) => i.message);
    expect(byKey('inbound.tls.keyFile').join()).toMatch(/does not match the certificate/);
    expect(byKey('inbound.tls.caFiles.0').join()).toMatch(/holds no PEM certificate/);
    expect(byKey('inbound.tls.caFiles.1').join()).toMatch(/file not found/);
    expect(byKey('inbound.tls.crlFiles.0').join()).toMatch(/holds no PEM CRL/);
    expect(byKey('inbound.headersTimeoutMs').join()).toMatch(/must not exceed/);
    expect(byKey('inbound.core.url').join()).toMatch(/query/);
  });

  it('refuses an expired CRL (it would refuse every client)', async () => {
    writeFileSync(f('old-crl.pem'), makeCrl(pki.hubCa, [], 1));
    const ok = await compileSnapshot(config({ tls: { crlFiles: [f('old-crl.pem')] } }));
    expect(ok.ok).toBe(true);
    const later = await compileSnapshot(config({ tls: { crlFiles: [f('old-crl.pem')] } }), { now: new Date(Date.now() + 3 * 86_400_000) });
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.issues.find((i) => i.path === 'inbound.tls.crlFiles.0')?.message).toMatch(/expired on/);
  });

  it('refuses a server certificate that has expired', async () => {
    const r = await compileSnapshot(config(), { now: new Date(Date.now() + 5 * 86_400_000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.some((i) => i.path === 'inbound.tls.certFile' && /expired/.test(i.message))).toBe(true);
  });

  it('reports a broken peer key file on the first load, and keeps the old key on a reload', async () => {
    const first = await compileSnapshot(config());
    if (!first.ok) throw new Error('compile');
    writeFileSync(f('peers/payerfsp.pem'), 'broken');
    const reload = await compileSnapshot(config(), { previous: first.snapshot });
    const fresh = await compileSnapshot(config());
    writeFileSync(f('peers/payerfsp.pem'), pki.payerJws.publicPem);
    expect(reload.ok).toBe(true);
    if (reload.ok) {
      expect(reload.snapshot.inbound!.jws.keys.bySource.get('payerfsp')).toHaveLength(1);
      expect(reload.snapshot.inbound!.jws.warnings.map((w) => w.file)).toEqual(['payerfsp.pem']);
    }
    expect(fresh.ok).toBe(false);
    if (!fresh.ok) expect(fresh.issues.some((i) => i.path === 'jws.keysDirectory' && i.message.includes('payerfsp.pem'))).toBe(true);
  });

  it('compiles the trusted balancers only with PROXY protocol on, and skips keys with verification off', async () => {
    const r = await compileSnapshot(config({ proxyProtocol: { enabled: true, trustedProxies: ['192.168.0.0/16'] } }, { verify: false }));
    if (!r.ok) throw new Error('compile');
    expect(r.snapshot.inbound!.trustedProxies?.match('192.168.4.4')).toBe(true);
    expect(r.snapshot.inbound!.jws.verify).toBe(false);
    expect(r.snapshot.inbound!.jws.keys.bySource.size).toBe(0);
  });

  it('builds a client context once for an https core', async () => {
    const r = await compileSnapshot(config({ core: { url: 'https://core.example:8443' } }));
    if (!r.ok) throw new Error('compile');
    expect(r.snapshot.inbound!.core.secureContext).toBeDefined();
  });
});
