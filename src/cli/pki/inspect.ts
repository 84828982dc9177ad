/** `pki inspect`: describe certificates, CSRs, keys and keystores, match keys to them, verify a chain. */
import { PkiInputError, formatInspection, inspect, type Inspection } from '../../crypto/pki/index.js';
import { EXIT_OK, EXIT_REFUSED, UsageError } from '../io.js';
import { COMMON, emit, readInput, readPassphrase, str, type Sub } from './args.js';

export const inspectSub: Sub = {
  summary: 'describe certificates, CSRs, keys and keystores; verify a chain',
  usage: `usage: dfsp-sidecar pki inspect FILE... [--ca FILE] [--passphrase-file F] [--strict] [--json]

Reads PEM (any number of certificates, CSRs and keys), DER or PKCS#12 and prints subject, issuer,
SANs, validity and days left, key type and size, SHA-256 fingerprints (certificate and SPKI), and
the scheme policy findings. Private keys are described (type, size, public-key fingerprint), never
printed; a key is matched to any certificate or CSR given that carries its public key.

options:
  --ca FILE              trusted CA certificate(s): verify each file's first certificate (in a
                         PKCS#12, the one matching the key); exit 1 if a chain does not verify
  --passphrase-file F    passphrase for PKCS#12 files and encrypted keys
  --strict               exit 1 when a certificate or CSR breaks a scheme policy rule
  --json                 print a JSON document
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'passphrase-file': { type: 'string' },
    strict: { type: 'boolean' },
  },
  positionals: true,
  async run(values, positionals, ctx) {
    if (positionals.length === 0) throw new UsageError('give at least one FILE to inspect');
    const caPath = str(values, 'ca');
    const caPem = caPath !== undefined ? (await readInput(ctx, caPath, '--ca')).toString('utf8') : undefined;
    const passPath = str(values, 'passphrase-file');
    const passphrase = passPath !== undefined ? await readPassphrase(ctx, passPath, '--passphrase-file') : undefined;
    const results: Array<{ file: string; inspection: Inspection }> = [];
    for (const file of positionals) {
      const data = await readInput(ctx, file);
      const inspection = inspect(data, {
        source: file,
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(caPem !== undefined ? { caPem } : {}),
      });
      results.push({ file, inspection });
    }
    if (caPem !== undefined && !results.some((r) => r.inspection.chain)) {
      throw new PkiInputError('--ca given but no input holds a certificate to verify');
    }
    const matches = keyMatches(results);
    const chainFailed = results.some((r) => r.inspection.chain && !r.inspection.chain.ok);
    const policyFailed = results.some((r) => r.inspection.items.some((i) => (i.kind === 'certificate' || i.kind === 'csr') && i.policy.length > 0));
    let text = '';
    for (const r of results) text += formatInspection(r.file, r.inspection);
    for (const m of matches) text += `key in ${m.key} matches ${m.kind} in ${m.with}\n`;
    const ok = !chainFailed && !(values.strict === true && policyFailed);
    const doc = {
      command: 'inspect',
      files: results.map((r) => ({ file: r.file, ...r.inspection })),
      keyMatches: matches,
    };
    emit(ctx, doc, text, ok);
    return ok ? EXIT_OK : EXIT_REFUSED;
  },
};

function keyMatches(results: ReadonlyArray<{ file: string; inspection: Inspection }>): Array<{ key: string; kind: string; with: string }> {
  const holders: Array<{ spki: string; kind: string; where: string }> = [];
  for (const r of results) {
    r.inspection.items.forEach((item, i) => {
      const where = r.inspection.items.length > 1 ? `${r.file}#${i + 1}` : r.file;
      if (item.kind === 'certificate') holders.push({ spki: item.certificate.fingerprints.spkiSha256, kind: 'certificate', where });
      if (item.kind === 'csr') holders.push({ spki: item.csr.fingerprints.spkiSha256, kind: 'CSR', where });
    });
  }
  const out: Array<{ key: string; kind: string; with: string }> = [];
  for (const r of results) {
    r.inspection.items.forEach((item, i) => {
      if (item.kind !== 'private-key' || !item.spkiSha256) return;
      const where = r.inspection.items.length > 1 ? `${r.file}#${i + 1}` : r.file;
      for (const h of holders) if (h.spki === item.spkiSha256) out.push({ key: where, kind: h.kind, with: h.where });
    });
  }
  return out;
}
