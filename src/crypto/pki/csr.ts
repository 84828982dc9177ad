/**
 * PKCS#10 certificate signing requests (RFC 2986): making ours, reading anyone's. Reading never
 * assumes the request is well-behaved: the self-signature is checked (proof that the requester
 * holds the key) and every field the policy looks at is decoded, whatever the key type, so a
 * 1024-bit, SHA-1 or EC request is reported by rule rather than failing to parse.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  Class,
  OID,
  SIGNATURE_ALGORITHMS,
  bitString,
  bytesOf,
  children,
  explicit,
  oid,
  oidOf,
  rawChild,
  readDer,
  seq,
  set,
  signatureAlgorithm,
  signatureAlgorithmName,
  smallInteger,
  writeDer,
  type Asn1,
} from './der.js';
import { PkiInputError } from './errors.js';
import { decodeExtensions, requestedExtensions, type ExtensionSummary } from './extensions.js';
import {
  describeKey,
  generateKeyPair,
  loadPrivateKey,
  privateKeyPem,
  sha256Fingerprint,
  spkiDer,
  spkiSha256,
  type KeyDescription,
  type KeyType,
} from './keys.js';
import { formatName, normaliseSubject, readName, subjectToAsn1, type NameAttribute } from './names.js';
import { parsePem, toPem } from './pem.js';

export interface CreateCsrOptions {
  cn: string;
  o: string;
  c: string;
  ou?: string;
  dns?: readonly string[];
  ip?: readonly string[];
  /** The usage asked for: `client` (default; EKU clientAuth) or `server` (EKU serverAuth). */
  profile?: 'client' | 'server';
  keyType?: KeyType;
  keySize?: number;
  /** Use this key instead of generating one. */
  key?: KeyObject | string;
}

export interface CsrMaterial {
  /** PKCS#8 PEM; stays with the requester. */
  readonly keyPem: string;
  readonly csrPem: string;
}

/** A key and a CSR whose subject has CN, O and C, as the scheme requires. */
export async function createCsr(options: CreateCsrOptions): Promise<CsrMaterial> {
  if (!options.o || !options.c) throw new PkiInputError('a CSR subject needs CN, O and C (scheme rule)');
  const subject = normaliseSubject({
    cn: options.cn,
    o: options.o,
    c: options.c,
    ...(options.ou !== undefined ? { ou: options.ou } : {}),
  });
  const key =
    options.key !== undefined
      ? typeof options.key === 'string'
        ? loadPrivateKey(options.key, 'key')
        : options.key
      : (
          await generateKeyPair({
            ...(options.keyType ? { keyType: options.keyType } : {}),
            ...(options.keySize ? { keySize: options.keySize } : {}),
          })
        ).privateKey;
  const extensions = requestedExtensions({
    profile: options.profile ?? 'client',
    subjectKey: key,
    altNames: { dns: options.dns ?? [], ip: options.ip ?? [] },
  });
  const cri = seq([
    smallInteger(0),
    subjectToAsn1(subject),
    readDer(spkiDer(key), 'public key'),
    explicit(0, [seq([oid(OID.extensionRequest), set([extensions])])]),
  ]);
  const { sigOid, hash } = key.asymmetricKeyType === 'rsa'
    ? { sigOid: OID.sha256WithRSAEncryption, hash: 'sha256' }
    : describeKey(key).curve === 'P-384'
      ? { sigOid: OID.ecdsaWithSha384, hash: 'sha384' }
      : { sigOid: OID.ecdsaWithSha256, hash: 'sha256' };
  const signature = sign(hash, writeDer(cri), key);
  const der = writeDer(seq([cri, signatureAlgorithm(sigOid), bitString(signature)]));
  const csr = parseCsr(der, 'generated CSR');
  if (!csr.signatureValid) throw new Error('generated CSR failed its self-check; this is a bug');
  return { keyPem: privateKeyPem(key, 'pkcs8'), csrPem: csr.pem };
}

export interface CsrInfo {
  readonly der: Buffer;
  readonly pem: string;
  readonly subject: readonly NameAttribute[];
  readonly subjectText: string;
  /** The encoded subject, kept so a signed certificate carries it byte for byte. */
  readonly subjectName: Asn1;
  readonly publicKey: KeyObject;
  readonly key: KeyDescription;
  readonly signatureAlgorithm: string;
  /** The request's self-signature verifies with its own public key. */
  readonly signatureValid: boolean;
  /** What the request asks for (extensionRequest); empty when it asks for nothing. */
  readonly extensions: ExtensionSummary;
  readonly spkiSha256: string;
  readonly fingerprintSha256: string;
}

export function parseCsr(der: Uint8Array, source = 'CSR'): CsrInfo {
  const root = readDer(der, source);
  const [cri, sigAlg, sigNode] = children(root, source);
  const fields = children(cri, source);
  const [version, subjectNode, spkiNode, attrs] = fields;
  if (version?.tagClass !== Class.UNIVERSAL || version.type !== 2 || !subjectNode || !spkiNode) {
    throw new PkiInputError(`${source}: not a PKCS#10 certificate request`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: writeDer(spkiNode), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PkiInputError(`${source}: unsupported public key algorithm`, { cause: err });
  }
  const sigOid = oidOf(children(sigAlg, source)[0], source);
  const sigBits = bytesOf(sigNode, `${source} signature`);
  const signatureValid = verifySelfSignature(rawChild(der, 0), sigOid, Buffer.from(sigBits.slice(1), 'binary'), publicKey);
  const subject = readName(subjectNode, `${source} subject`);
  const buf = Buffer.from(der);
  return {
    der: buf,
    pem: toPem(buf, 'CERTIFICATE REQUEST'),
    subject,
    subjectText: formatName(subject),
    subjectName: subjectNode,
    publicKey,
    key: describeKey(publicKey),
    signatureAlgorithm: signatureAlgorithmName(sigOid),
    signatureValid,
    extensions: decodeExtensions(extensionRequestOf(attrs, source), source),
    spkiSha256: spkiSha256(publicKey),
    fingerprintSha256: sha256Fingerprint(buf),
  };
}

/** The first CERTIFICATE REQUEST (or NEW CERTIFICATE REQUEST) block of a PEM text. */
export function parseCsrPem(pem: string, source = 'CSR'): CsrInfo {
  const block = parsePem(pem, source).find((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST');
  if (!block) throw new PkiInputError(`${source}: no CERTIFICATE REQUEST block found`);
  return parseCsr(block.der, source);
}

function extensionRequestOf(attrs: Asn1 | undefined, source: string): Asn1 | undefined {
  if (!attrs || attrs.tagClass !== Class.CONTEXT_SPECIFIC) return undefined;
  for (const attr of children(attrs, source)) {
    const [typeNode, values] = children(attr, source);
    if (oidOf(typeNode, source) === OID.extensionRequest) return children(values, source)[0];
  }
  return undefined;
}

function verifySelfSignature(signed: Buffer, sigOid: string, signature: Buffer, key: KeyObject): boolean {
  const alg = SIGNATURE_ALGORITHMS[sigOid];
  // RSASSA-PSS needs its parameters decoded; such a request is refused by the algorithm rule anyway.
  if (!alg || (alg.hash === null && sigOid !== OID.ed25519)) return false;
  try {
    return verify(alg.hash, signed, key, signature);
  } catch {
    return false;
  }
}
