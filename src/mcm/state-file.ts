/**
 * What the MCM steps must remember between cycles and restarts, in `mcm.stateDirectory`:
 * - state.json: the enrollment id of our pending client CSR, our JWS key rotation, the createdAt
 *   of every peer key taken and since when a changed one waits as `<fspId>.next.pem`;
 * - pending private keys (0600): our next client key while the hub has not signed its CSR, our next
 *   JWS key while peers fetch its public half. A key never leaves the machine; it moves into place
 *   only once its certificate (or its publication) is confirmed.
 * Writes go through a temporary file and a rename, so a crash leaves the old state or the new one.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { KEY_MODE, writeFileSafe } from '../crypto/pki/files.js';

const stateSchema = z.object({
  version: z.literal(1),
  clientCert: z
    .object({
      csrPem: z.string(),
      enrollmentId: z.number().int().optional(),
      requestedAt: z.string(),
      /** Why a new certificate was asked for: `missing`, `renewal`, `mismatch`. */
      reason: z.string(),
    })
    .optional(),
  jws: z
    .object({
      /** When the key in jws.signingKeyFile started signing (for rotateAfterDays). */
      currentSince: z.string().optional(),
      /** Highest createdAt we published, so each publication is newer than the last (peers take larger createdAt only). */
      lastCreatedAt: z.number().optional(),
      pending: z.object({ createdAt: z.number(), publishedAt: z.string().optional() }).optional(),
    })
    .default({}),
  peers: z.record(z.string(), z.object({ createdAt: z.number(), nextSince: z.string().optional() })).default({}),
});

export type McmState = z.infer<typeof stateSchema>;

export const EMPTY_STATE: McmState = { version: 1, jws: {}, peers: {} };

export interface McmStateStore {
  readonly directory: string;
  load(): Promise<McmState>;
  save(state: McmState): Promise<void>;
  /** A pending private key by name (`client`, `jws`); undefined when there is none. */
  readKey(name: PendingKey): Promise<string | undefined>;
  writeKey(name: PendingKey, pem: string): Promise<void>;
  removeKey(name: PendingKey): Promise<void>;
  keyPath(name: PendingKey): string;
  /**
   * Run `fn` holding the state directory's lock, so an `onboard` beside a running sidecar never
   * interleaves its cycle with the sidecar's (both would read, change and write state.json). Waits
   * up to `waitMs` for the other to finish; a lock older than STALE_LOCK_MS is a crashed holder's.
   */
  locked<T>(fn: () => Promise<T>, waitMs: number): Promise<T>;
}

const STALE_LOCK_MS = 10 * 60_000;

export class StateLocked extends Error {
  override readonly name = 'StateLocked';
}

export type PendingKey = 'client' | 'jws';

export function createStateStore(directory: string): McmStateStore {
  const file = join(directory, 'state.json');
  const keyPath = (name: PendingKey) => join(directory, `${name}-pending.key`);
  const ensure = () => mkdir(directory, { recursive: true, mode: 0o700 });
  return {
    directory,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY_STATE);
        throw err;
      }
      const parsed = stateSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`${file} is not a state file of this version (${parsed.error.issues[0]?.message ?? 'invalid'}); move it away to start over`);
      return parsed.data;
    },
    async save(state) {
      await ensure();
      await writeFileSafe(file, `${JSON.stringify(state, null, 2)}\n`, { mode: KEY_MODE, force: true });
    },
    async readKey(name) {
      try {
        return await readFile(keyPath(name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async writeKey(name, pem) {
      await ensure();
      await writeFileSafe(keyPath(name), pem, { mode: KEY_MODE, force: true });
    },
    async removeKey(name) {
      await rm(keyPath(name), { force: true });
    },
    keyPath,
    async locked(fn, waitMs) {
      await ensure();
      const lock = join(directory, '.lock');
      const deadline = Date.now() + waitMs;
      for (;;) {
        try {
          await mkdir(lock, { mode: 0o700 });
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
          if (age > STALE_LOCK_MS) {
            await rm(lock, { recursive: true, force: true });
            continue;
          }
          if (Date.now() >= deadline) throw new StateLocked(`${directory} is in use by another onboard or a running sidecar's MCM cycle; try again when it is done`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      try {
        return await fn();
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    },
  };
}
