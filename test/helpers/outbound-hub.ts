/**
 * A hub stand-in for the outbound tests: an https server on 127.0.0.1 that requires a client
 * certificate from the hub CA (as the hub's ingress does) and checks every signed request with the
 * real Mojaloop SDK validators, both the version the hub services run (`mojaloop-sdk-latest`,
 * 19.19.x: sorted-key re-serialisation) and the one sdk-scheme-adapter pins (19.18.8: insertion
 * order). It records what it received and answers through a replaceable handler (202 by default).
 */
import { createRequire } from 'node:module';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IssuedCert } from '../../src/crypto/pki/certificate.js';

const require = createRequire(import.meta.url);
type Validator = { validate(req: { headers: IncomingHttpHeaders; body: unknown }): true };
type ValidatorCtor = new (cfg: { logger: unknown; validationKeys: Record<string, string> }) => Validator;
// The validator module alone: the package index pulls in the whole SDK (2 s, and process-wide listeners).
const LatestValidator = require('mojaloop-sdk-latest/src/lib/jws/jwsValidator.js') as ValidatorCtor;
const LegacyValidator = require('mojaloop-sdk-19-18-8/src/lib/jws/jwsValidator.js') as ValidatorCtor;

/** The SDK validators log every failure (and keys) through their logger; keep test output clean. */
const silent = { child: () => silent, debug() {}, info() {}, warn() {}, error() {}, isDebugEnabled: false, push: () => silent, log() {} };

export interface HubRecord {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** CN of the client certificate the sidecar presented. */
  readonly clientCn: string | undefined;
  /** Verdict of SDK 19.19.x / 19.18.8: 'valid', 'unsigned', or the validator's error message. */
  readonly sdkLatest: string;
  readonly sdkLegacy: string;
  /** Which of the key sets given to setKeys validated it (0 for the first), -1 if none. */
  readonly keySet: number;
}

export type HubHandler = (rec: HubRecord, res: ServerResponse, req: IncomingMessage) => void;

export interface OutboundHub {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly requests: HubRecord[];
  /** Replace how the hub answers (default: 202, empty body). */
  handler: HubHandler;
  /**
   * Public keys (PEM) by FSPIOP-Source for the SDK validators. Several sets (key rotation): a
   * request is valid if one set validates it; the SDK validator itself holds one key per source.
   */
  setKeys(keys: Record<string, string> | Array<Record<string, string>>): void;
  close(): Promise<void>;
}

export const accept: HubHandler = (_rec, res) => {
  res.writeHead(202, { 'content-length': '0' });
  res.end();
};

export async function startOutboundHub(opts: { cert: IssuedCert; clientCaPem: string; keys: Record<string, string>; port?: number }): Promise<OutboundHub> {
  const build = (keys: Record<string, string> | Array<Record<string, string>>) =>
    (Array.isArray(keys) ? keys : [keys]).map((k) => ({ latest: new LatestValidator({ logger: silent, validationKeys: k }), legacy: new LegacyValidator({ logger: silent, validationKeys: k }) }));
  let sets = build(opts.keys);
  const requests: HubRecord[] = [];
  const hub: { handler: HubHandler } = { handler: accept };

  const server = createServer({ cert: opts.cert.chainPem, key: opts.cert.keyPem, ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      let keySet = sets.findIndex((v) => verdict(v.latest, req.headers, body) === 'valid');
      const chosen = sets[keySet === -1 ? 0 : keySet]!;
      if (!req.headers['fspiop-signature']) keySet = -1;
      const rec: HubRecord = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        clientCn: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined,
        sdkLatest: verdict(chosen.latest, req.headers, body),
        sdkLegacy: verdict(chosen.legacy, req.headers, body),
        keySet,
      };
      requests.push(rec);
      hub.handler(rec, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    requests,
    get handler() {
      return hub.handler;
    },
    set handler(h: HubHandler) {
      hub.handler = h;
    },
    setKeys(keys) {
      sets = build(keys);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function verdict(v: Validator, headers: IncomingHttpHeaders, body: Buffer): string {
  if (!headers['fspiop-signature']) return 'unsigned';
  try {
    // The SDK validators take the parsed body (they re-serialise it themselves).
    v.validate({ headers, body: JSON.parse(body.toString('utf8')) });
    return 'valid';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
