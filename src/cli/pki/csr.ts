/** `pki csr`: a key and a certificate signing request for the other side's CA, checked against the scheme policy. */
import { join } from 'node:path';
import { checkCsrPolicy, createCsr, ensureDir, formatCsr, parseCsrPem, summariseCsr, writeFilesSafe } from '../../crypto/pki/index.js';
import { EXIT_OK } from '../io.js';
import { COMMON, emit, int, keyType, list, precheck, profile, required, str, target, warn, written, type Sub } from './args.js';

export const csr: Sub = {
  summary: 'create a client key and a CSR to send to the hub',
  usage: `usage: dfsp-sidecar pki csr --out DIR --cn NAME --o ORG --c CC [--dns NAME]... [options]

Creates a key and a certificate signing request whose subject has CN, O and C (scheme rule),
asking for clientAuth (or serverAuth with --profile server): DIR/client.key.pem (PKCS#8, mode 0600)
and DIR/client.csr.pem (server.key.pem / server.csr.pem with --profile server). The CSR is checked
against the scheme policy before it is written, as the hub will check it.

options:
  --out DIR          output directory
  --cn NAME          subject CN
  --o ORG            subject O
  --c CC             subject C, two-letter country code
  --ou UNIT          subject OU (optional)
  --dns NAME         DNS SAN to request (repeatable)
  --ip ADDR          IP SAN to request (repeatable)
  --profile client|server   default client
  --key-type rsa|ec  default rsa
  --key-size BITS    default 2048
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
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    profile: { type: 'string' },
    'key-type': { type: 'string' },
    'key-size': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const use = profile(values);
    const type = keyType(values);
    const keySize = int(values, 'key-size');
    const ou = str(values, 'ou');
    const force = values.force === true;
    const [keyName, csrName] = [`${use}.key.pem`, `${use}.csr.pem`].map((n) => join(out, n)) as [string, string];
    await precheck(ctx, [keyName, csrName], force);
    const made = await createCsr({
      cn: required(values, 'cn'),
      o: required(values, 'o'),
      c: required(values, 'c'),
      ...(ou !== undefined ? { ou } : {}),
      dns: list(values, 'dns'),
      ip: list(values, 'ip'),
      profile: use,
      keyType: type,
      ...(keySize !== undefined ? { keySize } : {}),
    });
    const info = parseCsrPem(made.csrPem);
    const lint = checkCsrPolicy(info, {}, { profile: use });
    const files = [target(ctx, keyName, made.keyPem, true), target(ctx, csrName, made.csrPem)];
    await ensureDir(ctx.path(out), true);
    await writeFilesSafe(files, { force });
    const warnings = lint.map((v) => `a hub applying the scheme policy will refuse this CSR: ${v.rule}: ${v.message}`);
    warn(ctx, warnings);
    const summary = summariseCsr(info);
    emit(
      ctx,
      { command: 'csr', files: { key: keyName, csr: csrName }, csr: summary, policy: lint, warnings },
      `created ${use} key and CSR '${summary.subject}'\n${written(files)}${formatCsr(summary)}` +
        `Send ${csrName} to the other side's CA for signing; ${keyName} never leaves this machine.\n`,
    );
    return EXIT_OK;
  },
};
