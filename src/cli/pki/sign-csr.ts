/** `pki sign-csr`: sign the other party's CSR with our CA, after the policy checks and a confirmation. */
import {
  DEFAULT_LEAF_DAYS,
  POLICY_RULES,
  PkiInputError,
  SCHEME_POLICY,
  formatCertificate,
  formatCsr,
  formatViolations,
  planCsrSigning,
  shortTime,
  signCsr,
  summariseCertificate,
  summariseCsr,
  withEc,
  writeFilesSafe,
  type Violation,
} from '../../crypto/pki/index.js';
import { EXIT_OK, EXIT_REFUSED } from '../io.js';
import { COMMON, emit, int, precheck, printJson, profile, readCaDir, readInput, required, target, type Ctx, type Sub } from './args.js';

export const signCsrSub: Sub = {
  summary: "sign the other party's CSR with our CA, after the policy checks",
  usage: `usage: dfsp-sidecar pki sign-csr --ca DIR --csr FILE --out FILE [--days N] [--yes] [options]

Checks the CSR against the scheme policy, shows what it will sign (subject, SANs, key, validity)
and, once confirmed, writes the certificate (PEM) to FILE. Confirmation: --yes, or y at the prompt
when stdin is a terminal; without a terminal and without --yes it refuses (exit 2) rather than
wait. A CSR that breaks a rule is refused (exit 1) with every broken rule named.

options:
  --ca DIR           our CA directory (ca.key.pem + ca.cert.pem)
  --ca-passphrase-file F   passphrase of an encrypted ca.key.pem
  --csr FILE         the CSR to sign (PEM or DER)
  --out FILE         where to write the certificate
  --days N           validity, default ${DEFAULT_LEAF_DAYS}; at most --max-days
  --max-days N       policy cap, default ${SCHEME_POLICY.maxDays}
  --profile client|server   what the certificate is for, default client (EKU clientAuth)
  --allow-ec         also accept EC P-256/P-384 keys signed with ECDSA (private test hubs)
  --yes              sign without asking
  --force            replace FILE if it exists
  --json             print a JSON document

policy rules:
${Object.entries(POLICY_RULES)
  .map(([rule, text]) => `  ${rule.padEnd(20)}${text}`)
  .join('\n')}
`,
  options: {
    ...COMMON,
    ca: { type: 'string' },
    'ca-passphrase-file': { type: 'string' },
    csr: { type: 'string' },
    out: { type: 'string' },
    days: { type: 'string' },
    'max-days': { type: 'string' },
    profile: { type: 'string' },
    'allow-ec': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, ctx) {
    const out = required(values, 'out');
    const csrPath = required(values, 'csr');
    const ca = await readCaDir(ctx, values);
    const csrBytes = await readInput(ctx, csrPath, '--csr');
    const days = int(values, 'days');
    const maxDays = int(values, 'max-days');
    const base = values['allow-ec'] === true ? withEc(SCHEME_POLICY) : SCHEME_POLICY;
    const policy = maxDays !== undefined ? { ...base, maxDays } : base;
    const use = profile(values);
    const force = values.force === true;
    await precheck(ctx, [out], force);
    const options = { ca, csrPem: csrBytes, profile: use, policy, ...(days !== undefined ? { days } : {}) };
    const plan = planCsrSigning(options);
    const summary = summariseCsr(plan.csr);
    const planDoc = {
      subject: summary.subject,
      san: summary.requested.san,
      key: summary.key,
      signatureAlgorithm: summary.signatureAlgorithm,
      profile: plan.profile,
      issuer: plan.issuerText,
      notBefore: plan.notBefore.toISOString(),
      notAfter: plan.notAfter.toISOString(),
      days: plan.days,
      spkiSha256: summary.fingerprints.spkiSha256,
    };
    const shown =
      `certificate request ${csrPath}\n${formatCsr(summary)}` +
      `will issue (${plan.profile}, EKU ${plan.profile === 'client' ? 'clientAuth' : 'serverAuth'}, CA:FALSE)\n` +
      `  ${'issuer'.padEnd(13)}${plan.issuerText}\n` +
      `  ${'validity'.padEnd(13)}${shortTime(planDoc.notBefore)} .. ${shortTime(planDoc.notAfter)} (${plan.days} days)\n`;
    if (plan.violations.length > 0) {
      return refusePolicy(ctx, 'sign-csr', plan.violations, { plan: planDoc }, `${shown}refused by policy:\n${formatViolations(plan.violations)}`);
    }
    if (values.yes !== true) {
      if (!ctx.json) ctx.io.stderr(shown);
      const answer = await ctx.deps.prompt(`Sign this request as ${plan.profile} certificate for ${plan.days} days? [y/N] `);
      if (answer === undefined) {
        throw new PkiInputError('stdin is not a terminal, so there is no one to confirm: review the request above and pass --yes to sign it');
      }
      if (!/^y(es)?$/i.test(answer.trim())) {
        return refuse(ctx, 'sign-csr', 'not signed: declined at the prompt', { plan: planDoc });
      }
    }
    const signed = signCsr(options);
    await writeFilesSafe([target(ctx, out, signed.certPem)], { force });
    const cert = summariseCertificate(signed.certificate);
    emit(
      ctx,
      { command: 'sign-csr', plan: planDoc, violations: [], file: out, certificate: cert },
      `${values.yes === true ? shown : ''}signed: wrote ${out}\n${formatCertificate(cert)}Return ${out} to its requester.\n`,
    );
    return EXIT_OK;
  },
};

function refuse(ctx: Ctx, command: string, message: string, extra: Record<string, unknown> = {}): number {
  if (ctx.json) printJson(ctx.io, { ok: false, command, error: { kind: 'refused', message }, ...extra });
  else ctx.io.stderr(`dfsp-sidecar pki ${command}: ${message}\n`);
  return EXIT_REFUSED;
}

function refusePolicy(ctx: Ctx, command: string, violations: readonly Violation[], extra: Record<string, unknown>, text: string): number {
  if (ctx.json) {
    printJson(ctx.io, { ok: false, command, error: { kind: 'policy', message: 'refused by policy', violations }, ...extra });
  } else {
    ctx.io.stderr(text);
  }
  return EXIT_REFUSED;
}
