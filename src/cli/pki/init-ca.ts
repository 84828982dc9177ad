/** `pki init-ca`: a root CA, key and self-signed certificate, written into one directory. */
import { join } from 'node:path';
import { DEFAULT_CA_DAYS, createCa, ensureDir, formatCertificate, writeFilesSafe } from '../../crypto/pki/index.js';
import { EXIT_OK } from '../io.js';
import { COMMON, ecWarning, emit, firstCertificate, int, keyType, precheck, readPassphrase, required, str, target, warn, written, type Sub } from './args.js';

export const initCa: Sub = {
  summary: 'create a root CA (key + self-signed certificate)',
  usage: `usage: dfsp-sidecar pki init-ca --out DIR --cn NAME --o ORG --c CC [options]

Creates a root CA: DIR/ca.key.pem (PKCS#8, mode 0600) and DIR/ca.cert.pem (basicConstraints
CA:TRUE critical, keyUsage keyCertSign+cRLSign critical, SKI/AKI, sha256WithRSAEncryption).

options:
  --out DIR          output directory (created 0700 if missing)
  --cn NAME          subject CN, e.g. "Example Bank DFSP CA"
  --o ORG            subject O
  --c CC             subject C, two-letter country code
  --ou UNIT          subject OU (optional)
  --key-type rsa|ec  default rsa (the scheme requires RSA)
  --key-size BITS    RSA bits, default 4096 (a root outlives its leaves); EC: 256 or 384
  --days N           validity, default ${DEFAULT_CA_DAYS}
  --path-length N    basicConstraints pathLenConstraint (default: none)
  --key-passphrase-file F   encrypt ca.key.pem (PKCS#8, AES-256-CBC) with the first line of F;
                     server-cert and sign-csr then need --ca-passphrase-file F
  --force            replace existing files
  --json             print a JSON document
`,
  options: {
    ...COMMON,
    out: { type: 'string' },
    cn: { type: 'string' },
    o: { type: 'string' },
    c: { type: 'string' },
    ou: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    days: { type: 'string' },
    'path-length': { type: 'string' },
    'key-passphrase-file': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const type = keyType(values);
    const keySize = int(values, 'key-size') ?? (type === 'rsa' ? 4096 : 256);
    const days = int(values, 'days');
    const pathLength = int(values, 'path-length');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const keyName = join(out, 'ca.key.pem');
    const certName = join(out, 'ca.cert.pem');
    const passFile = str(values, 'key-passphrase-file');
    const keyPassphrase = passFile !== undefined ? await readPassphrase(ctx, passFile, '--key-passphrase-file') : undefined;
    await precheck(ctx, [keyName, certName], force);
    const ca = await createCa({
      ...(keyPassphrase !== undefined ? { keyPassphrase } : {}),
      cn: required(values, 'cn'),
      o: required(values, 'o'),
      c: required(values, 'c'),
      ...(ou !== undefined ? { ou } : {}),
      keyType: type,
      keySize,
      ...(days !== undefined ? { days } : {}),
      ...(pathLength !== undefined ? { pathLength } : {}),
    });
    const files = [target(ctx, keyName, ca.keyPem, true), target(ctx, certName, ca.certPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const cert = firstCertificate(ca.certPem);
    const warnings = ecWarning(type);
    warn(ctx, warnings);
    emit(
      ctx,
      { command: 'init-ca', files: { key: keyName, cert: certName }, certificate: cert, warnings },
      `created CA '${cert.subject}'\n${written(files)}${formatCertificate(cert)}` +
        `Keep ${keyName} offline; ${certName} is what the other side (hub or DFSP) needs to trust you.\n`,
    );
    return EXIT_OK;
  },
};
