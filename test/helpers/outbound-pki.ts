/**
 * Certificates and keys for the outbound tests, made by our own PKI toolkit and cached per test
 * process: a hub CA (signs the hub's server certificate and our client certificate) and JWS key
 * pairs (RSA-2048 and P-256) for the identities we sign as; on demand, rotation material (second
 * client certificate, second hub CA, second signing key) and a foreign CA (a hub impostor).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createCa, createClientCert, createServerCert, type CaMaterial, type IssuedCert } from '../../src/crypto/pki/certificate.js';

export interface JwsPair {
  readonly privatePem: string;
  readonly publicPem: string;
  readonly publicKey: KeyObject;
}

export interface OutboundPki {
  readonly hubCa: CaMaterial;
  /** The hub's server certificate: SAN 127.0.0.1 and localhost. */
  readonly hubServer: IssuedCert;
  /** Our client certificate, issued by the hub CA. */
  readonly client: IssuedCert;
  /** JWS keys: RSA-2048 for dfspId, P-256 for an extra identity. */
  readonly jwsRsa: JwsPair;
  readonly jwsEc: JwsPair;
}

/** Material only the rotation and impostor tests need (made on demand, not for every file). */
export interface RotationPki {
  /** A second client certificate from the hub CA. */
  readonly client2: IssuedCert;
  /** A second hub CA and a server certificate from it (CA bundle rotation). */
  readonly hubCa2: CaMaterial;
  readonly hubServer2: IssuedCert;
  /** A rotated RSA signing key. */
  readonly jwsRsa2: JwsPair;
}

export interface ForeignPki {
  /** A CA we do not trust, and a server certificate from it (a hub impostor). */
  readonly foreignCa: CaMaterial;
  readonly foreignServer: IssuedCert;
}

let base: Promise<OutboundPki> | undefined;
let rotation: Promise<RotationPki> | undefined;
let foreign: Promise<ForeignPki> | undefined;

const server = (ca: CaMaterial) => createServerCert({ ca, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 1 });

export function outboundPki(): Promise<OutboundPki> {
  base ??= (async () => {
    const hubCa = await createCa({ cn: 'Test Hub CA', o: 'Hub', c: 'ZZ', days: 2 });
    const [hubServer, client] = await Promise.all([server(hubCa), createClientCert({ ca: hubCa, cn: 'dfspa', days: 1 })]);
    return { hubCa, hubServer, client, jwsRsa: rsa(), jwsEc: ec() };
  })();
  return base;
}

export function rotationPki(): Promise<RotationPki> {
  rotation ??= (async () => {
    const { hubCa } = await outboundPki();
    const hubCa2 = await createCa({ cn: 'Test Hub CA 2', o: 'Hub', c: 'ZZ', days: 2 });
    const [hubServer2, client2] = await Promise.all([server(hubCa2), createClientCert({ ca: hubCa, cn: 'dfspa-rotated', days: 1 })]);
    return { client2, hubCa2, hubServer2, jwsRsa2: rsa() };
  })();
  return rotation;
}

export function foreignPki(): Promise<ForeignPki> {
  foreign ??= (async () => {
    const foreignCa = await createCa({ cn: 'Impostor CA', o: 'Nobody', c: 'ZZ', days: 2 });
    return { foreignCa, foreignServer: await server(foreignCa) };
  })();
  return foreign;
}

function rsa(): JwsPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, publicKey };
}

/** SEC1 PEM (`BEGIN EC PRIVATE KEY`): the form the SDK recognises as ES256 (fspiop-jws.md §2.4). */
function ec(): JwsPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privatePem: privateKey.export({ type: 'sec1', format: 'pem' }) as string, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, publicKey };
}
