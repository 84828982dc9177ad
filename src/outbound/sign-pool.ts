/**
 * Signing on worker threads, so RSA signing uses every core (`outbound.workers`: a number, or
 * `auto` = one per core). Chosen over a cluster of processes after measuring both (docs/outbound.md):
 * one process keeps one token source, one set of hub pools, one metrics registry and one reload
 * path, and RSA signing in worker_threads scales ~2x on two cores (perf-baseline.md §2).
 *
 * Each job goes to the worker with the fewest jobs in flight. A worker is sent a signing key once,
 * before its first job with that key (messages on one port are ordered, so the key always arrives
 * first). A worker that dies fails its in-flight jobs (SIGNING_FAILED) and is replaced; if workers
 * keep dying, the pool stops respawning and reports itself unhealthy instead of spinning.
 */
import { Worker } from 'node:worker_threads';
import type { SigningKey } from '../crypto/jws/signing-key.js';
import { reportTokenFailure, setReinitialiseGuard, tokenDown } from '../crypto/pkcs11/token.js';
import { SidecarError, type ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { FromWorker, ToWorker } from './sign-protocol.js';
import type { SignJob, SignOutput, Signer } from './signer.js';

interface Pending {
  resolve(out: SignOutput): void;
  reject(err: SidecarError): void;
  readonly key: SigningKey;
}

interface Slot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Fingerprints of the keys this worker holds. */
  readonly keys: Set<string>;
  up: boolean;
}

/** More exits than this within the window stops respawning. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export function createWorkerSigner(opts: { threads: number; log: Logger; onThreadsChange?: (up: number) => void }): Signer {
  const slots: Slot[] = [];
  const exits: number[] = [];
  let nextId = 1;
  let closing = false;
  /** Jobs with a PKCS#11 key on some worker now: the main thread re-initialises a module only at zero (token.ts). */
  let tokenJobs = 0;
  setReinitialiseGuard(() => tokenJobs === 0);

  const report = () => opts.onThreadsChange?.(slots.filter((s) => s.up).length);

  function spawn(index: number): void {
    const worker = startWorker();
    const slot: Slot = { worker, pending: new Map(), keys: new Set(), up: false };
    slots[index] = slot;
    worker.on('online', () => {
      slot.up = true;
      report();
    });
    worker.on('message', (m: FromWorker) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (p.key.kind === 'pkcs11') tokenJobs--;
      if (m.ok) p.resolve({ signed: m.signed, headers: m.headers, body: m.body === undefined ? undefined : Buffer.from(m.body), ns: m.ns });
      else {
        // The worker dropped its own session; the main thread checks the token itself so a token
        // that is really gone turns readiness off and fails the next requests fast.
        if (p.key.kind === 'pkcs11' && m.code === 'SIGNING_FAILED' && m.reason.startsWith('hsm_')) reportTokenFailure(p.key.ref, p.key.alg);
        p.reject(new SidecarError(m.code as ErrorCode, m.reason, m.detail));
      }
    });
    worker.on('error', (err) => opts.log.error({ err, worker: index }, 'signing worker failed'));
    worker.on('exit', (code) => {
      slot.up = false;
      report();
      for (const p of slot.pending.values()) {
        if (p.key.kind === 'pkcs11') tokenJobs--;
        p.reject(new SidecarError('SIGNING_FAILED', 'worker_exited', `signing worker ${index} exited with code ${code}`));
      }
      slot.pending.clear();
      if (closing) return;
      const now = Date.now();
      exits.push(now);
      while (exits.length > 0 && (exits[0] as number) < now - RESTART_WINDOW_MS) exits.shift();
      if (exits.length > MAX_RESTARTS) {
        opts.log.error({ worker: index, exits: exits.length }, 'signing workers keep exiting; not restarting this one');
        return;
      }
      opts.log.warn({ worker: index, code }, 'signing worker exited; starting a replacement');
      spawn(index);
    });
  }

  for (let i = 0; i < opts.threads; i++) spawn(i);

  function pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of slots) {
      // A worker still starting takes jobs too: they queue on its port until it is online.
      if (s.worker.threadId === -1) continue;
      if (!best || s.pending.size < best.pending.size) best = s;
    }
    return best;
  }

  return {
    mode: 'worker',
    threads: opts.threads,
    sign(job: SignJob): Promise<SignOutput> {
      const slot = pick();
      if (!slot || closing) return Promise.reject(new SidecarError('SIGNING_FAILED', 'no_workers', 'no signing worker is running'));
      if (job.key.kind === 'pkcs11') {
        const down = tokenDown(job.key.ref);
        if (down) return Promise.reject(new SidecarError('SIGNING_FAILED', 'hsm_unavailable', down.message));
        tokenJobs++;
      }
      const fp = job.key.fingerprint;
      if (!slot.keys.has(fp)) {
        post(slot, { t: 'key', key: job.key });
        slot.keys.add(fp);
      }
      const id = nextId++;
      const body = job.body === undefined ? undefined : exactCopy(job.body);
      return new Promise<SignOutput>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject, key: job.key });
        post(
          slot,
          { t: 'sign', id, method: job.method, path: job.path, headers: job.headers, body, source: job.source, fingerprint: fp, signPutParties: job.signPutParties },
          body ? [body] : [],
        );
      });
    },
    healthy: () => slots.some((s) => s.up),
    retainKeys(fingerprints) {
      const list = [...fingerprints];
      for (const s of slots) {
        for (const fp of [...s.keys]) if (!fingerprints.has(fp)) s.keys.delete(fp);
        post(s, { t: 'retain', fingerprints: list });
      }
    },
    async close() {
      closing = true;
      setReinitialiseGuard(() => true);
      await Promise.all(slots.map((s) => s.worker.terminate()));
      report();
    },
  };
}

function post(slot: Slot, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
  slot.worker.postMessage(msg, transfer);
}

function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from the TypeScript sources (vitest, tsx): the worker needs the same on-the-fly
    // transpiler, registered before its entry module loads. Built code (dist/) takes the plain path.
    const entry = new URL('./sign-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
  }
  return new Worker(new URL('./sign-worker.js', here));
}

/** Transfer exactly the body's bytes (see sign-worker.ts). */
function exactCopy(buf: Buffer): ArrayBuffer {
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return ab;
}
