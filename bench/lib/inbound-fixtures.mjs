/**
 * Fixtures for bench/inbound.mjs: a PKI made with the built PKI toolkit (RSA-2048, as the scheme
 * requires), a peer JWS key, the ~1 KB FSPIOP quote body of perf-baseline.md, its FSPIOP
 * signature, process helpers (spawn and wait for readiness, CPU ticks from /proc, free ports).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export async function makePki(dist, dir) {
  const { createCa, createServerCert, createClientCert } = await import(join(dist, 'crypto/pki/certificate.js'));
  const ca = await createCa({ cn: 'Bench CA', o: 'Bench', c: 'ZZ', days: 2 });
  const [server, client] = await Promise.all([
    createServerCert({ ca, cn: 'localhost', dns: ['localhost'], ip: ['127.0.0.1'], days: 1 }),
    createClientCert({ ca, cn: 'hub-client', days: 1 }),
  ]);
  const jws = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const files = {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    peers: join(dir, 'peers'),
    peerPub: join(dir, 'peers', 'payerfsp.pem'),
  };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.serverCert, server.chainPem);
  writeFileSync(files.serverKey, server.keyPem, { mode: 0o600 });
  writeFileSync(files.clientCert, client.chainPem);
  writeFileSync(files.clientKey, client.keyPem, { mode: 0o600 });
  return { files, ca, server, client, jwsPrivate: jws.privateKey, jwsPublicPem: jws.publicKey.export({ type: 'spki', format: 'pem' }) };
}

const uuid = (i) => `b51ec534-ee48-4575-b6a9-ead2955b${String(8100 + i).padStart(4, '0')}`;
const party = (fsp, msisdn, first, last) => ({
  partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: fsp },
  name: `${first} ${last}`,
  personalInfo: { complexName: { firstName: first, middleName: 'M', lastName: last }, dateOfBirth: '1984-01-01' },
});

/** The POST /quotes body of perf-baseline.md §6 (`bodies.mjs`), ~1 KB. */
export const QUOTE = {
  quoteId: uuid(1),
  transactionId: uuid(2),
  transactionRequestId: uuid(3),
  payee: party('payeefsp', '27713803912', 'Mats', 'Hagman'),
  payer: party('payerfsp', '27713803913', 'Henrik', 'Karlsson'),
  amountType: 'RECEIVE',
  amount: { currency: 'USD', amount: '123.45' },
  fees: { currency: 'USD', amount: '1.25' },
  transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER', balanceOfPayments: '110' },
  geoCode: { latitude: '+45.4215', longitude: '+75.6972' },
  note: 'Payment for the delivery of goods, invoice 2024-000123',
  expiration: '2030-12-31T23:59:59.999Z',
  extensionList: { extension: [{ key: 'merchantCategory', value: '5411' }, { key: 'channel', value: 'USSD' }, { key: 'correlationRef', value: 'ref-00012345-abcdef' }] },
};

/** Headers and body of a signed POST /quotes from payerfsp to dfspa (RS256 over the exact bytes). */
export function signedQuote(privateKey) {
  const body = Buffer.from(JSON.stringify(QUOTE));
  const date = new Date().toUTCString();
  const ph = { alg: 'RS256', 'FSPIOP-URI': '/quotes', 'FSPIOP-HTTP-Method': 'POST', 'FSPIOP-Source': 'payerfsp', 'FSPIOP-Destination': 'dfspa', Date: date };
  const protectedHeader = Buffer.from(JSON.stringify(ph)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${protectedHeader}.${body.toString('base64url')}`), privateKey).toString('base64url');
  const headers = {
    'content-type': 'application/vnd.interoperability.quotes+json;version=1.1',
    accept: 'application/vnd.interoperability.quotes+json;version=1.1',
    date,
    'fspiop-source': 'payerfsp',
    'fspiop-destination': 'dfspa',
    'fspiop-uri': '/quotes',
    'fspiop-http-method': 'POST',
    'fspiop-signature': JSON.stringify({ signature, protectedHeader }),
  };
  return { body, headers };
}

export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Spawn a process and resolve once `ready(stdout)` is true, or, with `port`, once that port on
 * 127.0.0.1 accepts connections (for programs that print nothing, like nginx). Rejects on exit or
 * timeout.
 */
export function start(cmd, args, ready, opts = {}) {
  const { port, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });
    let out = '';
    let err = '';
    let settled = false;
    const timer = setTimeout(() => {
      // SIGTERM first: a master process (nginx) stops its workers; SIGKILL would orphan them.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      reject(new Error(`${cmd} ${args.join(' ')}: not ready in time\n${out}\n${err}`));
    }, 20_000);
    const ok = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(child);
    };
    child.stdout.on('data', (d) => {
      out += d;
      if (ready(out)) ok();
    });
    if (port !== undefined) {
      const probe = () => {
        if (settled) return;
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          ok();
        });
        s.once('error', () => setTimeout(probe, 50));
      };
      probe();
    }
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!settled) reject(new Error(`${cmd} exited with ${code}\n${out}\n${err}`));
      settled = true;
    });
  });
}

/** Stop a child we started (by its own handle), waiting for it to exit. */
export function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Child PIDs of a process (nginx workers). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
