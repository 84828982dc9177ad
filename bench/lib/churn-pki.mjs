/**
 * PKI for the churn benches, made with the built PKI toolkit: a root CA, an intermediate CA
 * signed by it, a server certificate (root) and client certificates presenting the three chain
 * shapes a hub may send: leaf only, leaf + root, and leaf + intermediate + root (what real hubs
 * send). Servers trust the root only, so the intermediate must come from the client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function makeChurnPki(dist, dir, { keyType = 'rsa' } = {}) {
  const cert = await import(join(dist, 'crypto/pki/certificate.js'));
  const names = await import(join(dist, 'crypto/pki/names.js'));
  const keys = await import(join(dist, 'crypto/pki/keys.js'));
  const keyOpts = keyType === 'ec' ? { keyType: 'ec', keySize: 256 } : {};
  const root = await cert.createCa({ cn: 'Churn Root CA', o: 'Churn', c: 'ZZ', days: 3 });
  const interKey = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Date.now() + 2 * 86_400_000);
  const inter = cert.issueCertificate({
    profile: 'ca',
    subjectName: names.subjectToAsn1(names.normaliseSubject({ cn: 'Churn Intermediate CA', o: 'Churn', c: 'ZZ' })),
    subjectKey: interKey,
    issuer: cert.loadCa(root),
    notBefore,
    notAfter,
  });
  // A CA whose certPem carries its issuer: leaves issued from it present leaf + intermediate + root.
  const interCa = { keyPem: keys.privateKeyPem(interKey, 'pkcs8'), certPem: inter.pem + root.certPem };
  const [server, viaRoot, viaInter] = await Promise.all([
    cert.createServerCert({ ca: root, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 1, ...keyOpts }),
    cert.createClientCert({ ca: root, cn: 'hub-client', days: 1, ...keyOpts }),
    cert.createClientCert({ ca: interCa, cn: 'hub-client', days: 1, ...keyOpts }),
  ]);
  const files = { ca: join(dir, 'ca.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key') };
  writeFileSync(files.ca, root.certPem);
  writeFileSync(files.serverCert, server.chainPem);
  writeFileSync(files.serverKey, server.keyPem, { mode: 0o600 });
  const clients = {
    leaf: { cert: viaRoot.certPem, key: viaRoot.keyPem },
    'leaf+ca': { cert: viaRoot.chainPem, key: viaRoot.keyPem },
    'leaf+intermediate+root': { cert: viaInter.chainPem, key: viaInter.keyPem },
  };
  return { files, rootPem: root.certPem, clients };
}
