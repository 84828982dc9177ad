/** `pki server-cert`: a TLS server key and certificate (plus chain) issued by our CA. */
import { join } from 'node:path';
import { DEFAULT_LEAF_DAYS, createServerCert, ensureDir, formatCertificate, writeFilesSafe } from '../../crypto/pki/index.js';
import { EXIT_OK } from '../io.js';
import { COMMON, ecWarning, emit, firstCertificate, int, keyType, list, precheck, readCaDir, required, str, target, warn, written, type Sub } from './args.js';

export const serverCert: Sub = {
  summary: 'issue a TLS server certificate from our CA',
  usage: `usage: dfsp-sidecar pki server-cert --ca DIR --out DIR --cn HOST [--dns NAME]... [--ip ADDR]... [options]

Issues a server certificate signed by the CA in DIR (ca.key.pem + ca.cert.pem):
DIR/server.key.pem (PKCS#8, mode 0600), DIR/server.cert.pem, DIR/server.chain.pem (certificate
then CA: what the listener presents). EKU serverAuth, SANs from --dns/--ip (repeatable, or
comma-separated); with neither, the CN becomes the one DNS SAN. O and C default to the CA's.

options:
  --ca DIR           the CA directory (from init-ca)
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --out DIR          output directory
  --cn HOST          subject CN (the host name the hub connects to)
  --dns NAME         DNS SAN (repeatable)
  --ip ADDR          IP SAN (repeatable)
  --o ORG / --c CC / --ou UNIT   subject fields (default O and C: the CA's)
  --key-type rsa|ec  default rsa
  --key-size BITS    default 2048
  --days N           validity, default ${DEFAULT_LEAF_DAYS}
  --force            replace existing files
  --json             print a JSON document
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'ca-passphrase-file': { type: 'string' },
    out: { type: 'string' },
    cn: { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    o: { type: 'string' },
    c: { type: 'string' },
    ou: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const cn = required(values, 'cn');
    const ca = await readCaDir(ctx, values);
    const type = keyType(values);
    const keySize = int(values, 'key-size');
    const days = int(values, 'days');
    let dns = list(values, 'dns');
    const ip = list(values, 'ip');
    const warnings = ecWarning(type);
    if (dns.length === 0 && ip.length === 0) {
      dns = [cn];
      warnings.push(`no --dns or --ip given: using the CN as the only SAN (DNS:${cn})`);
    }
    const o = str(values, 'o');
    const c = str(values, 'c');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const [keyName, certName, chainName] = ['server.key.pem', 'server.cert.pem', 'server.chain.pem'].map((n) => join(out, n)) as [string, string, string];
    await precheck(ctx, [keyName, certName, chainName], force);
    const issued = await createServerCert({
      ca,
      cn,
      dns,
      ip,
      ...(o !== undefined ? { o } : {}),
      ...(c !== undefined ? { c } : {}),
      ...(ou !== undefined ? { ou } : {}),
      keyType: type,
      ...(keySize !== undefined ? { keySize } : {}),
      ...(days !== undefined ? { days } : {}),
    });
    const files = [target(ctx, keyName, issued.keyPem, true), target(ctx, certName, issued.certPem), target(ctx, chainName, issued.chainPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = firstCertificate(issued.certPem);
    warn(ctx, warnings);
    emit(
      ctx,
      { command: 'server-cert', files: { key: keyName, cert: certName, chain: chainName }, certificate: cert, warnings },
      `issued server certificate '${cert.subject}'\n${written(files)}${formatCertificate(cert)}`,
    );
    return EXIT_OK;
  },
};
