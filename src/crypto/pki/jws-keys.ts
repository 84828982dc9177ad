/**
 * FSPIOP JWS signing keys (fspiop-jws.md §2.4, §5). What the peer needs is the public key in a
 * file named `<fspId>.pem`: the validator looks keys up by the exact FSPIOP-Source value, so the
 * file name is the identity. We also make a self-signed certificate (CN = fspId), the "wrapped
 * public key" that MCM-style portals ask for, and for RS256 a PKCS#12 keystore holding both.
 *
 * Private key formats are chosen for the Mojaloop SDK, which picks the JWS algorithm from the PEM
 * label: it signs ES256 only when it sees `BEGIN EC PRIVATE KEY` (SEC1); a PKCS#8 EC key would be
 * used as RS256 and fail. RS256 keys are written as PKCS#1 (`BEGIN RSA PRIVATE KEY`), the form
 * PM4ML generates and every SDK version reads.
 */
import { DEFAULT_LEAF_DAYS, issueCertificate, resolveValidity } from './certificate.js';
import { PkiInputError } from './errors.js';
import { generateKeyPair, privateKeyPem, publicKeyPem, spkiSha256 } from './keys.js';
import { normaliseSubject, subjectToAsn1 } from './names.js';
import { buildPkcs12 } from './pkcs12.js';

export type JwsAlg = 'RS256' | 'ES256';

export interface CreateJwsKeysOptions {
  fspId: string;
  /** Default RS256 (what every Mojaloop validator accepts). */
  alg?: JwsAlg;
  /** RSA bits for RS256 (default 2048). */
  keySize?: number;
  /** Lifetime of the self-signed certificate (default 730 days). */
  days?: number;
  o?: string;
  c?: string;
  /** When given (RS256), a PKCS#12 keystore is produced with it. */
  passphrase?: string;
}

export interface JwsKeys {
  readonly fspId: string;
  readonly alg: JwsAlg;
  /** PKCS#1 (RS256) or SEC1 (ES256) PEM. */
  readonly privateKeyPem: string;
  /** SPKI PEM: the `<fspId>.pem` to share. */
  readonly publicKeyPem: string;
  /** Self-signed, CN = fspId. */
  readonly certPem: string;
  readonly spkiSha256: string;
  /** PKCS#12 holding key and certificate (RS256 with a passphrase only). */
  readonly p12?: Buffer;
  /** Why there is no keystore, when there is none. */
  readonly p12Note?: string;
}

export const ES256_NO_P12 =
  'no PKCS#12 keystore for ES256: node-forge writes PKCS#12 for RSA keys only; the SEC1 PEM key is what the Mojaloop SDK and this sidecar load (openssl pkcs12 -export can wrap it if a keystore is required)';

/** FSP ids are header values and file names: 1-32 characters, letters, digits, '.', '_', '-'. */
export function checkFspId(fspId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(fspId)) {
    throw new PkiInputError(`FSP id '${fspId}' must be 1-32 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return fspId;
}

export async function createJwsKeys(options: CreateJwsKeysOptions): Promise<JwsKeys> {
  const fspId = checkFspId(options.fspId);
  const alg = options.alg ?? 'RS256';
  if (alg !== 'RS256' && alg !== 'ES256') throw new PkiInputError(`JWS algorithm must be RS256 or ES256, got '${String(alg)}'`);
  if (alg === 'ES256' && options.keySize !== undefined) throw new PkiInputError('ES256 keys are always P-256; --key-size applies to RS256');
  const { privateKey } = await generateKeyPair(
    alg === 'RS256' ? { keyType: 'rsa', ...(options.keySize ? { keySize: options.keySize } : {}) } : { keyType: 'ec', keySize: 256 },
  );
  const subject = normaliseSubject({
    cn: fspId,
    ...(options.o !== undefined ? { o: options.o } : {}),
    ...(options.c !== undefined ? { c: options.c } : {}),
  });
  const cert = issueCertificate({
    profile: 'jws',
    subjectName: subjectToAsn1(subject),
    subjectKey: privateKey,
    signingKey: privateKey,
    ...resolveValidity(options.days !== undefined ? { days: options.days } : {}, DEFAULT_LEAF_DAYS),
  });
  const base = {
    fspId,
    alg,
    privateKeyPem: privateKeyPem(privateKey, alg === 'RS256' ? 'pkcs1' : 'sec1'),
    publicKeyPem: publicKeyPem(privateKey),
    certPem: cert.pem,
    spkiSha256: spkiSha256(privateKey),
  };
  if (alg === 'ES256') return { ...base, p12Note: ES256_NO_P12 };
  if (options.passphrase === undefined) return { ...base, p12Note: 'no PKCS#12 keystore: no passphrase given' };
  const p12 = buildPkcs12({ key: privateKey, certPems: [cert.pem], passphrase: options.passphrase, friendlyName: fspId });
  return { ...base, p12 };
}
