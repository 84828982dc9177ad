/** `pki kit`: assemble the onboarding kit for the hub (shared files, endpoints, checklist). */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PkiInputError, buildKit, checkFspId, ensureDir, kitFileNames, writeFilesSafe, type KitInputFile } from '../../crypto/pki/index.js';
import { EXIT_OK, UsageError } from '../io.js';
import { COMMON, emit, list, readInput, required, str, warn, type Ctx, type Sub } from './args.js';

export const kit: Sub = {
  summary: 'assemble the onboarding kit to send the hub (files, endpoints, checklist)',
  usage: `usage: dfsp-sidecar pki kit --out DIR --fsp-id ID --callback-url URL --egress CIDR... [files] [received] [options]

Writes DIR with exactly what to share with the hub, re-encoded from the inputs (a file holding a
private key is refused; the kit never contains one):
  ca.chain.pem, server.cert.pem, client.csr.pem, ID.pem (JWS public key; plus ID.cert.pem when a
  certificate was given), hub-client.cert.pem, manifest.json (endpoints, fingerprints, checklist)
  and CHECKLIST.md (the seed procedure: 2 endpoint, 8 TLS and 4 JWS steps, each done or pending).
Inputs are cross-checked: server certificate against the CA, the CSR against the scheme policy,
the hub client certificate against our CA, our client certificate against the hub CA and the CSR.

required:
  --out DIR                 the kit directory (new or empty; --force reuses a previous kit's)
  --fsp-id ID               our FSP id
  --callback-url URL        https base URL the hub calls us on
  --egress IP|CIDR          our outbound address(es) for the hub's allowlist (repeatable)
files we share (each optional; missing ones leave their steps pending):
  --ca-cert F               our CA certificate (chain)
  --server-cert F           our server certificate (may include the chain)
  --csr F                   our client CSR
  --jws-public-key F        our JWS public key (or its certificate)
  --hub-client-cert F       the hub's client certificate we signed (pki sign-csr)
received from the hub (checked and recorded, not copied):
  --hub-ca F                the hub CA chain
  --client-cert F           our client certificate signed by the hub
  --hub-jws-key F           the hub's JWS public key
  --peer-jws-dir DIR        directory of other participants' <fspId>.pem JWS keys
  --hub-egress IP|CIDR      the hub's egress addresses (repeatable)
options:
  --force                   replace a previous kit in DIR
  --json                    print the manifest as JSON
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    'fsp-id': { type: 'string' },
    'callback-url': { type: 'string' },
    egress: { type: 'string', multiple: true },
    'hub-egress': { type: 'string', multiple: true },
    'ca-cert': { type: 'string' },
    'server-cert': { type: 'string' },
    csr: { type: 'string' },
    'jws-public-key': { type: 'string' },
    'hub-client-cert': { type: 'string' },
    'hub-ca': { type: 'string' },
    'client-cert': { type: 'string' },
    'hub-jws-key': { type: 'string' },
    'peer-jws-dir': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const fspId = checkFspId(required(values, 'fsp-id'));
    const egress = list(values, 'egress');
    if (egress.length === 0) throw new UsageError('--egress is required (our outbound IP address or CIDR; repeatable)');
    const file = async (flag: string): Promise<KitInputFile | undefined> => {
      const p = str(values, flag);
      return p === undefined ? undefined : { name: p, data: await readInput(ctx, p, `--${flag}`) };
    };
    const peerDir = str(values, 'peer-jws-dir');
    const peers = peerDir === undefined ? undefined : await readPeerDir(ctx, peerDir);
    const inputs = {
      serverCert: await file('server-cert'),
      caCert: await file('ca-cert'),
      csr: await file('csr'),
      jwsPublicKey: await file('jws-public-key'),
      hubClientCert: await file('hub-client-cert'),
      hubCa: await file('hub-ca'),
      clientCert: await file('client-cert'),
      hubJwsKey: await file('hub-jws-key'),
    };
    const built = buildKit({
      fspId,
      callbackUrl: required(values, 'callback-url'),
      egress,
      hubEgress: list(values, 'hub-egress'),
      ...Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)),
      ...(peers ? { peerJwsKeys: peers } : {}),
    });
    const dir = ctx.path(out);
    await prepareKitDir(dir, out, fspId, values.force === true);
    await writeFilesSafe(built.files.map((f) => ({ path: join(dir, f.name), data: f.data })), { force: values.force === true });
    const m = built.manifest;
    warn(ctx, m.warnings);
    const steps = m.checklist.map((s) => `  [${s.status === 'done' ? 'x' : ' '}] ${s.id.padEnd(22)}${s.title}\n`).join('');
    emit(
      ctx,
      { command: 'kit', dir: out, manifest: m },
      `wrote onboarding kit ${out} (${m.progress.done} of ${m.progress.total} steps done)\n` +
        built.files.map((f) => `  ${join(out, f.name)}\n`).join('') +
        `checklist:\n${steps}` +
        `Send the whole directory to the hub; it holds no private key.\n`,
    );
    return EXIT_OK;
  },
};

async function readPeerDir(ctx: Ctx, dir: string): Promise<KitInputFile[]> {
  let names: string[];
  try {
    names = await readdir(ctx.path(dir));
  } catch {
    throw new PkiInputError(`cannot read --peer-jws-dir ${dir}`);
  }
  const pems = names.filter((n) => n.endsWith('.pem')).sort();
  return Promise.all(pems.map(async (n) => ({ name: join(dir, n), data: await readInput(ctx, join(dir, n), '--peer-jws-dir') })));
}

/**
 * The kit directory must hold the kit and nothing else. A new or empty directory is fine; with
 * --force, a previous kit's files are removed first (so a file no longer given does not linger),
 * and any other file is refused rather than shipped to the hub by accident.
 */
async function prepareKitDir(dir: string, shown: string, fspId: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new PkiInputError(`${shown} exists and is not a directory`);
    if (code !== 'ENOENT') throw err;
  }
  if (entries.length > 0) {
    if (!force) throw new PkiInputError(`${shown} is not empty (pass --force to replace a previous kit)`);
    const known = new Set(kitFileNames(fspId));
    const strangers = entries.filter((e) => !known.has(e));
    if (strangers.length > 0) throw new PkiInputError(`${shown} holds files that are not part of a kit: ${strangers.join(', ')}; remove them first`);
    await Promise.all(entries.map((e) => rm(join(dir, e), { force: true })));
  }
  await ensureDir(dir, false);
}
