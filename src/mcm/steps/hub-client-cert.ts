/**
 * HUB_CLIENT_CERT: the hub's client certificate, which the hub presents when it calls our inbound
 * listener, signed by our CA from the hub's CSR in an MCM *outbound* enrollment (mcm-api.md §2,
 * §7.5).
 *
 * Every CSR is linted before we sign (proof of possession, key type and size, signature algorithm,
 * no CA:TRUE, no keyCertSign/cRLSign, EKU and SAN rules); one that fails is refused and reported,
 * the others are still signed. MCM's CSRs carry no subject at all (its createCSR() is called
 * without parameters), and /onboard reads our FQDN from the CN of the certificate we sign, so the
 * subject is ours to grant: CN = hubClientCert.commonName (default: our callback host), O and C
 * from mcm.subject. PM4ML re-signs every enrollment on every cycle; we never re-sign one whose
 * stored certificate is ours, for its CSR's key and valid beyond the renewal threshold.
 */
import { checkCsrPolicy, loadCa, parseCsrPem, signCsr, verifyChain } from '../../crypto/pki/index.js';
import { certificatesIn, errorText, readOptional, sameKey, shortDate } from '../files.js';
import { done, failed, waiting, type Step } from '../step.js';

export const hubClientCertStep: Step = {
  name: 'hub-client-cert',
  mcmKey: 'HUB_CLIENT_CERT',
  enabled: (c) => c.mcm.steps.hubClientCert,
  after: ['dfsp-ca'],
  async run(ctx) {
    const m = ctx.config.mcm;
    const caMaterial = { certPem: (await readOptional(m.dfspCa.certFile!))!, keyPem: (await readOptional(m.dfspCa.keyFile!))! };
    const ca = loadCa(caMaterial, 'mcm.dfspCa');
    const now = ctx.now();
    const renewMs = m.renewBeforeDays * 86_400_000;
    const commonName = m.hubClientCert.commonName ?? new URL(m.endpoints.callbackUrl!).hostname;
    const enrollments = await ctx.api.listOutboundEnrollments();
    if (enrollments.length === 0) return waiting('the hub has not created its client CSR yet (no outbound enrollment)');

    const signedNow: number[] = [];
    const kept: number[] = [];
    const refused: string[] = [];
    for (const e of enrollments) {
      let csr;
      try {
        csr = parseCsrPem(e.csr ?? '', `CSR of enrollment ${e.id}`);
      } catch (err) {
        refused.push(`${e.id}: ${errorText(err)}`);
        continue;
      }
      if (e.state === 'CERT_SIGNED' && e.certificate) {
        const stored = certificatesIn(e.certificate, `certificate of enrollment ${e.id}`);
        if (!('error' in stored)) {
          const leaf = stored.certs[0]!;
          const ours = verifyChain(leaf, { roots: [ca.cert], at: now, purpose: 'clientAuth' }).ok;
          if (ours && sameKey(leaf.publicKey, csr.publicKey) && leaf.notAfter.getTime() - renewMs > now.getTime()) {
            kept.push(e.id);
            continue;
          }
        }
      }
      const violations = checkCsrPolicy(csr, { requiredSubject: [] }, { profile: 'client', days: m.hubClientCert.days });
      if (violations.length > 0) {
        refused.push(`${e.id}: ${violations.map((v) => `${v.rule} (${v.message})`).join('; ')}`);
        continue;
      }
      let issued;
      try {
        issued = signCsr({
          ca: caMaterial,
          csrPem: csr.pem,
          days: m.hubClientCert.days,
          profile: 'client',
          policy: { requiredSubject: [] },
          subject: { cn: commonName, o: m.subject.o!, c: m.subject.c!, ...(m.subject.ou ? { ou: m.subject.ou } : {}) },
        });
      } catch (err) {
        refused.push(`${e.id}: ${errorText(err)}`);
        continue;
      }
      const answer = await ctx.api.uploadOutboundCertificate(e.id, issued.certPem);
      if (answer.state !== 'CERT_SIGNED') refused.push(`${e.id}: MCM kept state ${answer.state} after the upload`);
      else signedNow.push(e.id);
    }
    const summary = [
      signedNow.length > 0 ? `signed ${signedNow.join(', ')} (CN=${commonName}, valid ${m.hubClientCert.days} days from ${shortDate(now)})` : '',
      kept.length > 0 ? `already signed and valid: ${kept.join(', ')}` : '',
    ].filter(Boolean).join('; ');
    const facts = { hub_enrollments_signed: signedNow.length + kept.length, hub_enrollments_refused: refused.length };
    if (refused.length > 0) return failed(`refused enrollment ${refused.join(' | ')}${summary ? `; ${summary}` : ''}`, { facts });
    return done(summary, { facts });
  },
};
