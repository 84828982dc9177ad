/**
 * Certificates and keys for the outbound tests, made by our own PKI toolkit and cached per test
 * process: a hub CA (signs the hub's server certificate and our client certificates), a second
 * client certificate for rotation, a foreign CA (a hub impostor), and JWS key pairs (RSA-2048 and
 * P-256) for the identities we sign as.
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
  /** A second client certificate from the same CA (rotation). */
  readonly client2: IssuedCert;
  /** A second hub CA and a server certificate from it (CA bundle rotation). */
  readonly hubCa2: CaMaterial;
  readonly hubServer2: IssuedCert;
  /** A CA we do not trust, and a server certificate from it (a hub impostor). */
  readonly foreignCa: CaMaterial;
  readonly foreignServer: IssuedCert;
  /** JWS keys: RSA-2048 for dfspId and a rotated one, P-256 for an extra identity. */
  readonly jwsRsa: JwsPair;
  readonly jwsRsa2: JwsPair;
  readonly jwsEc: JwsPair;
}

let cached: Promise<OutboundPki> | undefined;

export function outboundPki(): Promise<OutboundPki> {
  cached ??= make();
  return cached;
}

async function make(): Promise<OutboundPki> {
  const [hubCa, hubCa2, foreignCa] = await Promise.all([
    createCa({ cn: 'Test Hub CA', o: 'Hub', c: 'ZZ', days: 2 }),
    createCa({ cn: 'Test Hub CA 2', o: 'Hub', c: 'ZZ', days: 2 }),
    createCa({ cn: 'Impostor CA', o: 'Nobody', c: 'ZZ', days: 2 }),
  ]);
  const server = (ca: CaMaterial) => createServerCert({ ca, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 1 });
  const [hubServer, hubServer2, foreignServer, client, client2] = await Promise.all([
    server(hubCa),
    server(hubCa2),
    server(foreignCa),
    createClientCert({ ca: hubCa, cn: 'dfspa', days: 1 }),
    createClientCert({ ca: hubCa, cn: 'dfspa-rotated', days: 1 }),
  ]);
  return { hubCa, hubServer, client, client2, hubCa2, hubServer2, foreignCa, foreignServer, jwsRsa: rsa(), jwsRsa2: rsa(), jwsEc: ec() };
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
