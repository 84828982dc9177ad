/**
 * DFSP_CA: our CA, which signs the hub's client certificate (so the hub can call our inbound
 * listener) and our server certificate. Created on first onboarding when neither file exists
 * (a key that exists without its certificate, or the reverse, is an operator's to sort out:
 * generating over it could orphan a CA the hub already trusts). Uploaded to MCM only when the
 * stored one differs, since MCM keeps what it is given and /onboard hands it to the hub's gateway.
 */
import { createCa, loadCa } from '../../crypto/pki/index.js';
import { errorText, readOptional, samePem, writePublic, writeSecret } from '../files.js';
import { done, failed, type Step } from '../step.js';

export const dfspCaStep: Step = {
  name: 'dfsp-ca',
  mcmKey: 'DFSP_CA',
  enabled: (c) => c.mcm.steps.dfspCa || c.mcm.steps.hubClientCert || c.mcm.steps.serverCert,
  after: [],
  async run(ctx) {
    const m = ctx.config.mcm;
    const certFile = m.dfspCa.certFile!;
    const keyFile = m.dfspCa.keyFile!;
    let certPem = await readOptional(certFile);
    let keyPem = await readOptional(keyFile);
    const wrote: string[] = [];
    if (certPem === undefined && keyPem === undefined) {
      const ca = await createCa({
        cn: `${m.subject.cn ?? ctx.config.dfspId} CA`,
        o: m.subject.o!,
        c: m.subject.c!,
        ...(m.subject.ou ? { ou: m.subject.ou } : {}),
        keySize: m.rsaKeySize,
      });
      // Key first here: a CA certificate without its key is useless, a key without a certificate is not yet trusted anywhere.
      await writeSecret(keyFile, ca.keyPem);
      await writePublic(certFile, ca.certPem);
      wrote.push(keyFile, certFile);
      ({ certPem, keyPem } = ca);
    } else if (certPem === undefined || keyPem === undefined) {
      return failed(`${certPem === undefined ? certFile : keyFile} is missing but ${certPem === undefined ? keyFile : certFile} exists; restore it or remove both to create a new CA`);
    }
    let loaded;
    try {
      loaded = loadCa({ certPem, keyPem }, 'mcm.dfspCa');
    } catch (err) {
      return failed(errorText(err), { wrote });
    }
    if (!m.steps.dfspCa) return done(`our CA '${loaded.cert.subjectText}' (not uploaded: mcm.steps.dfspCa is off)`, { wrote });
    // A file holding an intermediate CA followed by its issuers: MCM wants the root apart.
    const pems = loaded.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    const root = pems.length > 1 ? pems[pems.length - 1]! : pems[0]!;
    const chain = pems.length > 1 ? pems.slice(0, -1).join('') : undefined;
    const stored = await ctx.api.getDfspCa();
    if (samePem(stored.rootCertificate, root) && (chain === undefined ? !stored.intermediateChain : samePem(stored.intermediateChain, chain))) {
      return done(`our CA '${loaded.cert.subjectText}' is the one MCM holds`, { wrote });
    }
    await ctx.api.putDfspCa(root, chain);
    return done(`uploaded our CA '${loaded.cert.subjectText}'`, { wrote });
  },
};
