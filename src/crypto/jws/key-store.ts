/**
 * The peer key directory as an immutable value: FSPIOP-Source → the public keys that verify it.
 *
 * `loadPeerKeys(dir, previous)` = `scanKeyDirectory(dir)` (I/O: read every key file, hash it) +
 * `buildPeerKeySet(scan, previous)` (pure). The contract the reload orchestration relies on:
 * - a file whose content did not change (same SHA-256) is not parsed again;
 * - a file that cannot be read or parsed keeps the keys it had in `previous` (if any) and is
 *   reported in `errors`: a half-written or broken file never removes a working key;
 * - a file that is gone takes its keys with it: deleting is how an old key is retired.
 *
 * Rotation with overlap (mojaloop/project#4301; trap T13), for a peer `payerfsp`:
 *   1. add `payerfsp.next.pem` with the new key: old and new are both accepted;
 *   2. once the peer signs with the new key, `mv payerfsp.next.pem payerfsp.pem` (one rename,
 *      so every poll sees either both keys or only the new one): the old key is gone.
 * Tooling that overwrites `<fspId>.pem` in place (PM4ML) gets no overlap; have it write the new
 * key to `<fspId>.next.pem` first.
 *
 * Keys are imported once into KeyObjects here; the verify path only looks them up.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keyFileName, parsePeerKeyFile, type PeerKey } from './peer-key.js';

export interface PeerKeyFileRecord {
  /** SHA-256 of the file content (or of the read error, when it could not be read). */
  readonly hash: string;
  /** Keys in effect for this file: its own, or the previous ones while it is broken. */
  readonly keys: readonly PeerKey[];
  /** Why the file's current content is not in use; undefined when it is. */
  readonly error: string | undefined;
}

export interface PeerKeySet {
  /** Keys per FSPIOP-Source, current-slot keys first. Never mutated after construction. */
  readonly bySource: ReadonlyMap<string, readonly PeerKey[]>;
  readonly files: ReadonlyMap<string, PeerKeyFileRecord>;
  /** Digest of every key file's name and content hash: equal digests, equal directories. */
  readonly digest: string;
  readonly loadedAt: Date;
}

export interface KeyFileError {
  readonly file: string;
  readonly message: string;
  /** True when the file's previous keys are still in use despite the error. */
  readonly keptPrevious: boolean;
}

export interface PeerKeyLoad {
  readonly keySet: PeerKeySet;
  /** Every key file that is currently not in effect as written, with why. */
  readonly errors: readonly KeyFileError[];
  /** False when the directory content is identical to `previous`. */
  readonly changed: boolean;
  /** The directory itself could not be listed; `keySet` is then `previous` (or empty). */
  readonly directoryError: string | undefined;
}

export interface ScannedFile {
  readonly hash: string;
  readonly bytes: Buffer | undefined;
  readonly readError: string | undefined;
}

export interface KeyDirectoryScan {
  readonly files: ReadonlyMap<string, ScannedFile>;
  readonly digest: string;
}

/** Key files are a few KB; anything larger is a mistake, and is not read into memory. */
export const MAX_KEY_FILE_BYTES = 256 * 1024;

const EMPTY_DIGEST = createHash('sha256').digest('hex');

export const EMPTY_PEER_KEY_SET: PeerKeySet = Object.freeze({
  bySource: new Map<string, readonly PeerKey[]>(),
  files: new Map<string, PeerKeyFileRecord>(),
  digest: EMPTY_DIGEST,
  loadedAt: new Date(0),
});

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

async function scanFile(path: string): Promise<ScannedFile> {
  try {
    // stat and readFile follow symlinks: Kubernetes secret volumes are symlinks into `..data`.
    const st = await stat(path);
    if (!st.isFile()) return { hash: sha256('not-a-file'), bytes: undefined, readError: 'not a regular file' };
    if (st.size > MAX_KEY_FILE_BYTES) return { hash: sha256(`too-large:${st.size}`), bytes: undefined, readError: `${st.size} bytes; a key file is at most ${MAX_KEY_FILE_BYTES}` };
    const bytes = await readFile(path);
    return { hash: sha256(bytes), bytes, readError: undefined };
  } catch (err) {
    const why = errorText(err);
    return { hash: sha256(`error:${why}`), bytes: undefined, readError: `cannot read: ${why}` };
  }
}

/** Reads every key file of `dir` and hashes it. Throws when the directory cannot be listed. */
export async function scanKeyDirectory(dir: string): Promise<KeyDirectoryScan> {
  const names = (await readdir(dir)).filter((n) => keyFileName(n) !== undefined).sort();
  const scanned = await Promise.all(names.map((n) => scanFile(join(dir, n))));
  const files = new Map<string, ScannedFile>();
  const digest = createHash('sha256');
  names.forEach((n, i) => {
    files.set(n, scanned[i]!);
    digest.update(`${n}\0${scanned[i]!.hash}\n`);
  });
  return { files, digest: digest.digest('hex') };
}

/**
 * Builds the key set from a scan, reusing `previous` for unchanged files and keeping its keys for
 * broken ones. Pure apart from `now`.
 */
export function buildPeerKeySet(scan: KeyDirectoryScan, previous?: PeerKeySet, now: Date = new Date()): PeerKeyLoad {
  const files = new Map<string, PeerKeyFileRecord>();
  const errors: KeyFileError[] = [];
  for (const [file, entry] of scan.files) {
    const name = keyFileName(file)!;
    const before = previous?.files.get(file);
    let record: PeerKeyFileRecord;
    if (before !== undefined && before.hash === entry.hash) {
      record = before;
    } else if (entry.readError !== undefined || entry.bytes === undefined) {
      record = { hash: entry.hash, keys: before?.keys ?? [], error: entry.readError ?? 'cannot read' };
    } else {
      try {
        record = { hash: entry.hash, keys: Object.freeze(parsePeerKeyFile(file, name, entry.bytes)), error: undefined };
      } catch (err) {
        record = { hash: entry.hash, keys: before?.keys ?? [], error: err instanceof Error ? err.message : String(err) };
      }
    }
    files.set(file, Object.freeze(record));
    if (record.error !== undefined) errors.push({ file, message: record.error, keptPrevious: record.keys.length > 0 });
  }
  const grouped = new Map<string, PeerKey[]>();
  for (const record of files.values()) {
    for (const key of record.keys) {
      const list = grouped.get(key.source) ?? [];
      if (!list.some((k) => k.fingerprint === key.fingerprint)) list.push(key);
      grouped.set(key.source, list);
    }
  }
  const bySource = new Map<string, readonly PeerKey[]>();
  for (const [source, list] of grouped) {
    // Current-slot keys first: they are the ones nearly every message is signed with.
    list.sort((a, b) => (a.slot === b.slot ? 0 : a.slot === 'current' ? -1 : 1));
    bySource.set(source, Object.freeze(list));
  }
  const keySet: PeerKeySet = Object.freeze({ bySource, files, digest: scan.digest, loadedAt: now });
  return { keySet, errors, changed: previous === undefined || previous.digest !== scan.digest, directoryError: undefined };
}

/**
 * Loads (or reloads) the peer keys of `dir`. Never throws: a directory that cannot be listed is
 * reported in `directoryError` and leaves `previous` (or an empty set) in place.
 */
export async function loadPeerKeys(dir: string, previous?: PeerKeySet): Promise<PeerKeyLoad> {
  let scan: KeyDirectoryScan;
  try {
    scan = await scanKeyDirectory(dir);
  } catch (err) {
    return { keySet: previous ?? EMPTY_PEER_KEY_SET, errors: [], changed: false, directoryError: `cannot list ${dir}: ${errorText(err)}` };
  }
  return buildPeerKeySet(scan, previous);
}

/** Every key that verifies `source` (empty when there is none). */
export function keysForSource(keySet: PeerKeySet, source: string): readonly PeerKey[] {
  return keySet.bySource.get(source) ?? [];
}
