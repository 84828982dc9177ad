/**
 * DFSP_CLIENT_CERT: our client certificate for the calls to the hub, signed by the hub CA through
 * an MCM *inbound* enrollment (MCM names enrollments from the hub's side, mcm-api.md §2).
 *
 * The key is generated here and never leaves the machine; it waits in the state directory (0600)
 * with its CSR until the hub signs. The CSR and key are saved before the POST, and MCM returns the
 * existing CSR_LOADED enrollment for an identical CSR, so a crash between the two never makes a
 * second enrollment. A signed certificate is installed only after it is checked: its key is our
 * pending key, it chains to the hub CA we trust, it is a client certificate (not a CA), it is
 * within its validity and passes the scheme's key and signature rules. Anything else is refused
 * with the reason, and the working pair stays in place.
 *
 * Renewal starts `renewBeforeDays` before notAfter with a new key and enrollment; the installed
 * pair keeps serving until the new one is signed, checked and swapped in by a reload, so no
 * request fails across the switch.
 */
import { checkCertificatePolicy, createCsr, verifyChain, type CertificateInfo } from '../../crypto/pki/index.js';
import { certificatesIn, installPair, publicKeyOf, readOptional, sameKey, shortDate } from '../files.js';
import { done, failed, waiting, type Step } from '../step.js';

export const clientCertStep: Step = {
  name: 'client-cert',
  mcmKey: 'DFSP_CLIENT_CERT',
  enabled: (c) => c.mcm.steps.clientCert,
  after: ['hub-ca'],
  async run(ctx) {
    const { config, state, store } = ctx;
    const m = config.mcm;
    const certFile = config.outbound.tls.certFile!;
    const keyFile = config.outbound.tls.keyFile!;
    const now = ctx.now();
    const renewMs = m.renewBeforeDays * 86_400_000;
    const hubCa = certificatesIn(await readOptional(config.outbound.tls.caFiles[0]!), config.outbound.tls.caFiles[0]!);
    if ('error' in hubCa) return failed(`no hub CA to check our certificate against: ${hubCa.error}`);

    // 1. What is installed, and whether it needs replacing.
    const installed = await checkInstalled(certFile, keyFile, hubCa.certs, now);
    const renewAt = installed.cert ? new Date(installed.cert.notAfter.getTime() - renewMs) : undefined;
    const installedFacts: Record<string, number> = renewAt ? { client_cert_renewal: renewAt.getTime() / 1000, client_cert_not_after: installed.cert!.notAfter.getTime() / 1000 } : {};
    if (installed.ok && renewAt! > now) {
      // A pending enrollment beside a valid certificate that is not due is stale (the operator
      // installed a pair by hand, or lowered renewBeforeDays): installing it later would replace theirs.
      const dropped = state.clientCert?.enrollmentId;
      if (state.clientCert) {
        state.clientCert = undefined;
        await store.removeKey('client');
        await store.save(state);
      }
      const note = dropped !== undefined ? `; dropped pending enrollment ${dropped}` : '';
      return done(`valid until ${shortDate(installed.cert!.notAfter)}; renewal from ${shortDate(renewAt!)}${note}`, { facts: installedFacts });
    }

    // 2. A pending enrollment, or a new one.
    let pendingKey = state.clientCert ? await store.readKey('client') : undefined;
    if (!state.clientCert || pendingKey === undefined) {
      const csr = await createCsr({
        cn: m.subject.cn ?? config.dfspId,
        o: m.subject.o!,
        c: m.subject.c!,
        ...(m.subject.ou ? { ou: m.subject.ou } : {}),
        profile: 'client',
        keyType: 'rsa',
        keySize: m.rsaKeySize,
      });
      await store.writeKey('client', csr.keyPem);
      pendingKey = csr.keyPem;
      state.clientCert = { csrPem: csr.csrPem, requestedAt: now.toISOString(), reason: installed.cert ? (installed.ok ? 'renewal' : installed.why) : 'missing' };
      await store.save(state);
    }
    const pending = state.clientCert!;
    if (pending.enrollmentId === undefined) {
      const created = await ctx.api.createInboundEnrollment(pending.csrPem);
      pending.enrollmentId = created.id;
      await store.save(state);
    }
    const enrollment = await ctx.api.getInboundEnrollment(pending.enrollmentId);
    const facts = { ...installedFacts, [`client_enrollment_${enrollment.state === 'CERT_SIGNED' ? 'signed' : 'waiting'}`]: 1 };
    if (enrollment.state !== 'CERT_SIGNED') {
      const serving = installed.ok ? `; the current certificate serves until ${shortDate(installed.cert!.notAfter)}` : '';
      return waiting(`enrollment ${enrollment.id} (${pending.reason}) is ${enrollment.state}: waiting for the hub to sign it${serving}`, { facts });
    }

    // 3. Check what the hub signed before it goes anywhere near the gateways.
    const signed = certificatesIn(enrollment.certificate, `certificate of enrollment ${enrollment.id}`);
    if ('error' in signed) return failed(`refused: ${signed.error}; nothing installed`, { facts });
    const leaf = signed.certs[0]!;
    const problems: string[] = [];
    if (!sameKey(leaf.publicKey, publicKeyOf(pendingKey))) problems.push('it certifies another key than the one our CSR holds');
    if (leaf.isCa) problems.push('it is a CA certificate');
    const chain = verifyChain(leaf, { roots: hubCa.certs, intermediates: signed.certs.slice(1), at: now, purpose: 'clientAuth' });
    if (!chain.ok) problems.push(`it does not chain to the hub CA: ${chain.error}`);
    // The hub decides subject and lifetime (Vault role, ~5 years by default): only key and signature rules apply.
    for (const v of checkCertificatePolicy(leaf, { requiredSubject: [], maxDays: Number.MAX_SAFE_INTEGER })) problems.push(v.message);
    if (problems.length > 0) return failed(`refused the certificate of enrollment ${enrollment.id}: ${problems.join('; ')}; nothing installed`, { facts });

    const wrote = await installPair(certFile, signed.certs.map((c) => c.pem).join(''), keyFile, pendingKey);
    state.clientCert = undefined;
    await store.removeKey('client');
    await store.save(state);
    const nextRenewal = new Date(leaf.notAfter.getTime() - renewMs);
    return done(`installed the certificate of enrollment ${enrollment.id}; valid until ${shortDate(leaf.notAfter)}`, {
      wrote,
      facts: { client_cert_renewal: nextRenewal.getTime() / 1000, client_cert_not_after: leaf.notAfter.getTime() / 1000, client_enrollment_signed: 1 },
    });
  },
};

async function checkInstalled(certFile: string, keyFile: string, hubCa: CertificateInfo[], now: Date): Promise<{ ok: boolean; why: string; cert?: CertificateInfo }> {
  const [certPem, keyPem] = [await readOptional(certFile), await readOptional(keyFile)];
  if (certPem === undefined || keyPem === undefined) return { ok: false, why: 'missing' };
  const parsed = certificatesIn(certPem, certFile);
  if ('error' in parsed) return { ok: false, why: 'unreadable' };
  const cert = parsed.certs[0]!;
  try {
    if (!sameKey(publicKeyOf(keyPem), cert.publicKey)) return { ok: false, why: 'key mismatch', cert };
  } catch {
    return { ok: false, why: 'unreadable key', cert };
  }
  const chain = verifyChain(cert, { roots: hubCa, intermediates: parsed.certs.slice(1), at: now, purpose: 'clientAuth' });
  if (!chain.ok) return { ok: false, why: 'does not chain to the hub CA', cert };
  return { ok: true, why: '', cert };
}
