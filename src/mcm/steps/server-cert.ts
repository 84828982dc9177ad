/**
 * DFSP_SERVER_CERT: the certificate our inbound listener presents to the hub, issued locally by
 * our CA (MCM at v4 takes no server certificate; the hub trusts it through the CA it got from
 * DFSP_CA). Issued when missing, re-issued `renewBeforeDays` before notAfter with a fresh key. A
 * certificate that some other CA issued is the operator's own choice and is left alone.
 */
import { createServerCert, loadCa, verifyChain } from '../../crypto/pki/index.js';
import { certificatesIn, installPair, publicKeyOf, readOptional, sameKey, shortDate } from '../files.js';
import { done, failed, type Step } from '../step.js';

export const serverCertStep: Step = {
  name: 'server-cert',
  mcmKey: 'DFSP_SERVER_CERT',
  enabled: (c) => c.mcm.steps.serverCert,
  after: ['dfsp-ca'],
  async run(ctx) {
    const { config } = ctx;
    const m = config.mcm;
    const certFile = config.inbound.tls.certFile!;
    const keyFile = config.inbound.tls.keyFile!;
    const caMaterial = { certPem: (await readOptional(m.dfspCa.certFile!))!, keyPem: (await readOptional(m.dfspCa.keyFile!))! };
    const ca = loadCa(caMaterial, 'mcm.dfspCa');
    const now = ctx.now();
    const renewMs = m.renewBeforeDays * 86_400_000;
    const [certPem, keyPem] = [await readOptional(certFile), await readOptional(keyFile)];
    let reason = 'missing';
    if (certPem !== undefined && keyPem !== undefined) {
      const parsed = certificatesIn(certPem, certFile);
      if ('error' in parsed) return failed(`${parsed.error}; fix or remove the file to have a new one issued`);
      const leaf = parsed.certs[0]!;
      const chain = verifyChain(leaf, { roots: [ca.cert], intermediates: parsed.certs.slice(1), at: now, purpose: 'serverAuth' });
      if (!chain.ok && leaf.issuerText !== ca.cert.subjectText) {
        return done(`kept: '${leaf.subjectText}' is issued by '${leaf.issuerText}', not by our CA (not managed)`, { facts: { server_cert_not_after: leaf.notAfter.getTime() / 1000 } });
      }
      let keyMatches = false;
      try {
        keyMatches = sameKey(publicKeyOf(keyPem), leaf.publicKey);
      } catch {
        keyMatches = false;
      }
      const renewAt = new Date(leaf.notAfter.getTime() - renewMs);
      if (chain.ok && keyMatches && renewAt > now) {
        return done(`valid until ${shortDate(leaf.notAfter)}; renewed from ${shortDate(renewAt)}`, { facts: { server_cert_renewal: renewAt.getTime() / 1000 } });
      }
      reason = !keyMatches ? 'key does not match' : !chain.ok ? (chain.error ?? 'does not verify') : 'renewal due';
    }
    const names = m.serverCert.dnsNames.length + m.serverCert.ipAddresses.length > 0 ? m.serverCert : { dnsNames: [new URL(m.endpoints.callbackUrl!).hostname], ipAddresses: [] };
    const isIp = (h: string) => /^[\d.]+$|:/.test(h);
    let issued;
    try {
      issued = await createServerCert({
        ca: caMaterial,
        cn: names.dnsNames[0] ?? names.ipAddresses[0] ?? config.dfspId,
        o: m.subject.o!,
        c: m.subject.c!,
        dns: names.dnsNames.filter((h) => !isIp(h)),
        ip: [...names.ipAddresses, ...names.dnsNames.filter(isIp)],
        days: m.serverCert.days,
        keySize: m.rsaKeySize,
      });
    } catch (err) {
      return failed(`cannot issue our server certificate: ${err instanceof Error ? err.message : String(err)}`);
    }
    const wrote = await installPair(certFile, issued.chainPem, keyFile, issued.keyPem);
    const leaf = certificatesIn(issued.certPem, 'issued')! as { certs: Array<{ notAfter: Date }> };
    const renewAt = new Date(leaf.certs[0]!.notAfter.getTime() - renewMs);
    return done(`issued (${reason}); valid until ${shortDate(leaf.certs[0]!.notAfter)}`, { wrote, facts: { server_cert_renewal: renewAt.getTime() / 1000 } });
  },
};
