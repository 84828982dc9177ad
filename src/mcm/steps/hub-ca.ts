/**
 * HUB_CA: the hub CA from GET /hub/ca becomes the outbound trust bundle (the first entry of
 * outbound.tls.caFiles). MCM returns only `rootCertificate` today; `intermediateChain`, when an MCM
 * sends it, goes before the root as PM4ML does (mcm-api.md §7.2). Every certificate must parse and
 * be a CA, and the root must be self-signed and within its validity: an answer that fails any of
 * this never replaces the bundle the gateways use.
 */
import { verifyChain } from '../../crypto/pki/index.js';
import { certificatesIn, readOptional, samePem, writePublic } from '../files.js';
import { done, failed, type Step } from '../step.js';

export const hubCaStep: Step = {
  name: 'hub-ca',
  mcmKey: 'HUB_CA',
  enabled: (c) => c.mcm.steps.hubCa,
  after: [],
  async run(ctx) {
    const target = ctx.config.outbound.tls.caFiles[0]!;
    const answer = await ctx.api.getHubCa();
    const root = certificatesIn(answer.rootCertificate, 'rootCertificate of GET /hub/ca');
    if ('error' in root) return failed(`refused the hub CA: ${root.error}`);
    if (root.certs.length !== 1) return failed(`refused the hub CA: rootCertificate holds ${root.certs.length} certificates, not one`);
    const rootCert = root.certs[0]!;
    let chainCerts: typeof root.certs = [];
    if (answer.intermediateChain && answer.intermediateChain.trim() !== '') {
      const chain = certificatesIn(answer.intermediateChain, 'intermediateChain of GET /hub/ca');
      if ('error' in chain) return failed(`refused the hub CA: ${chain.error}`);
      chainCerts = chain.certs;
    }
    for (const c of [rootCert, ...chainCerts]) if (!c.isCa) return failed(`refused the hub CA: '${c.subjectText}' is not a CA certificate`);
    if (!rootCert.selfIssued || !rootCert.x509.verify(rootCert.publicKey)) return failed(`refused the hub CA: '${rootCert.subjectText}' is not a self-signed root`);
    const now = ctx.now();
    for (const c of chainCerts) {
      const path = verifyChain(c, { roots: [rootCert], intermediates: chainCerts, at: now });
      if (!path.ok) return failed(`refused the hub CA: intermediate ${path.error}`);
    }
    if (rootCert.notAfter <= now || rootCert.notBefore > now) return failed(`refused the hub CA: '${rootCert.subjectText}' is outside its validity (${rootCert.notBefore.toISOString()} – ${rootCert.notAfter.toISOString()})`);
    // Once each: an MCM that repeats the root (or an intermediate) in intermediateChain gets it written once.
    const seen = new Set([rootCert.fingerprintSha256]);
    const chainOnce = chainCerts.filter((c) => !seen.has(c.fingerprintSha256) && seen.add(c.fingerprintSha256) !== undefined);
    const bundle = [...chainOnce, rootCert].map((c) => c.pem).join('');
    const facts = { hub_ca_not_after: rootCert.notAfter.getTime() / 1000 };
    if (samePem(await readOptional(target), bundle)) return done(`hub CA '${rootCert.subjectText}' unchanged`, { facts });
    await writePublic(target, bundle);
    return done(`wrote hub CA '${rootCert.subjectText}' to ${target}`, { wrote: [target], facts });
  },
};
