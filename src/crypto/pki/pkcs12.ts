/**
 * PKCS#12 keystores through node-forge. Written with 3DES key encryption and a SHA-1 MAC (forge's
 * `algorithm: '3des'`): the combination OpenSSL 3 opens without `-legacy` and that old Java
 * keytool and Windows still import; forge's default (AES via PBES2) is refused by some of those.
 * forge's writer handles RSA keys only. Its reader hands back unknown key and certificate types
 * as raw ASN.1, which is how EC keystores made by OpenSSL are still read here.
 */
import forge from 'node-forge';
import type { KeyObject } from 'node:crypto';
import { parseCertificate, type CertificateInfo } from './certificate.js';
import { readDer, toBinary, writeDer } from './der.js';
import { PkiInputError } from './errors.js';
import { loadPrivateKey, privateKeyPem } from './keys.js';

export interface BuildPkcs12Options {
  key: KeyObject;
  /** The key's certificate first, then its chain, as PEM. */
  certPems: readonly string[];
  passphrase: string;
  /** Alias shown by keytool / KeyStore Explorer. */
  friendlyName?: string;
}

export function buildPkcs12(options: BuildPkcs12Options): Buffer {
  if (options.key.asymmetricKeyType !== 'rsa') throw new PkiInputError('PKCS#12 output supports RSA keys only (node-forge)');
  if (options.passphrase.length === 0) throw new PkiInputError('a PKCS#12 passphrase must not be empty');
  const key = forge.pki.privateKeyFromPem(privateKeyPem(options.key, 'pkcs1'));
  let certs: forge.pki.Certificate[];
  try {
    certs = options.certPems.map((pem) => forge.pki.certificateFromPem(pem));
  } catch (err) {
    throw new PkiInputError('PKCS#12 output supports RSA certificates only (node-forge)', { cause: err });
  }
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, options.passphrase, {
    algorithm: '3des',
    generateLocalKeyId: true,
    ...(options.friendlyName ? { friendlyName: options.friendlyName } : {}),
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

export interface Pkcs12Contents {
  readonly keys: KeyObject[];
  readonly certificates: CertificateInfo[];
}

/** Opens a PKCS#12 file; a wrong or missing passphrase is a clear input error. */
export function readPkcs12(der: Uint8Array, source: string, passphrase?: string): Pkcs12Contents {
  const asn1 = readDer(der, source);
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase ?? '');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/MAC could not be verified|Invalid password|decrypt/i.test(message)) {
      throw new PkiInputError(
        passphrase === undefined
          ? `${source}: the PKCS#12 file is protected by a passphrase; give it with --passphrase-file`
          : `${source}: cannot open the PKCS#12 file (wrong passphrase?)`,
        { cause: err },
      );
    }
    throw new PkiInputError(`${source}: not a readable PKCS#12 file (${message})`, { cause: err });
  }
  const keys: KeyObject[] = [];
  const certificates: CertificateInfo[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      const raw = (bag as { asn1?: forge.asn1.Asn1 }).asn1;
      if (bag.type === forge.pki.oids.certBag) {
        const der = bag.cert ? writeDer(forge.pki.certificateToAsn1(bag.cert)) : raw ? writeDer(raw) : undefined;
        if (der) certificates.push(parseCertificate(der, `${source} (certificate ${certificates.length + 1})`));
      } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
        if (bag.key) keys.push(loadPrivateKey(forge.pki.privateKeyToPem(bag.key as forge.pki.rsa.PrivateKey), `${source} key`));
        else if (raw) keys.push(loadPrivateKey(writeDer(raw), `${source} key`));
      }
    }
  }
  return { keys, certificates };
}

/** True when the bytes parse as a PFX (PKCS#12): SEQUENCE { INTEGER 3, ContentInfo, ... }. */
export function looksLikePkcs12(der: Uint8Array): boolean {
  try {
    const root = forge.asn1.fromDer(toBinary(der), { strict: false, decodeBitStrings: false } as unknown as boolean);
    const first = Array.isArray(root.value) ? root.value[0] : undefined;
    return first?.type === forge.asn1.Type.INTEGER && first.value === '\u0003';
  } catch {
    return false;
  }
}
