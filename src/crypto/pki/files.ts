/**
 * Writing outputs safely. Every file is written to a temporary name in the same directory, synced,
 * then moved into place, so a crash never leaves half a key. Without `force` an existing file is
 * never replaced, and the check is atomic: the temporary file is hard-linked to the target, which
 * fails if anything appeared there meanwhile. Private keys get mode 0600 whatever the umask.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PkiInputError } from './errors.js';

export const KEY_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

export interface WriteOptions {
  /** Default 0644; use KEY_MODE for private keys and passphrases. */
  mode?: number;
  /** Replace an existing file. */
  force?: boolean;
}

export async function writeFileSafe(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const mode = options.mode ?? PUBLIC_MODE;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    // open()'s mode is filtered by the umask; chmod states it exactly.
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    if (options.force) {
      await rename(tmp, path);
    } else {
      await link(tmp, path);
      await rm(tmp, { force: true });
    }
  } catch (err) {
    await rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PkiInputError(`refusing to overwrite ${path} (pass --force to replace it)`, { code: 'EEXIST', cause: err });
    }
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface OutputFile {
  path: string;
  data: string | Uint8Array;
  /** Private keys and secrets: written 0600. */
  secret?: boolean;
  /** How to name the file in messages (the path as the user typed it); defaults to `path`. */
  label?: string;
}

/**
 * Refuses early when a target exists and `force` is not set: run before generating keys, so a
 * four-second RSA 4096 generation is not wasted on a refusal. writeFilesSafe checks again, atomically.
 */
export async function checkTargets(targets: ReadonlyArray<{ path: string; label?: string }>, force: boolean): Promise<void> {
  if (force) return;
  const taken: string[] = [];
  for (const t of targets) if (await exists(t.path)) taken.push(t.label ?? t.path);
  if (taken.length > 0) throw new PkiInputError(`refusing to overwrite ${taken.join(', ')} (pass --force to replace)`, { code: 'EEXIST' });
}

/**
 * Writes a set of files that belong together (a key and its certificate). Existing targets are
 * checked first, so a refusal leaves nothing half-written; keys are written last, so an
 * interrupted run never leaves a key without the file that says what it is for.
 */
export async function writeFilesSafe(files: readonly OutputFile[], options: { force?: boolean } = {}): Promise<void> {
  await checkTargets(files, options.force ?? false);
  const ordered = [...files.filter((f) => !f.secret), ...files.filter((f) => f.secret)];
  for (const f of ordered) {
    try {
      await writeFileSafe(f.path, f.data, { mode: f.secret ? KEY_MODE : PUBLIC_MODE, force: options.force ?? false });
    } catch (err) {
      if ((err as PkiInputError).code === 'EEXIST' && f.label) {
        throw new PkiInputError(`refusing to overwrite ${f.label} (pass --force to replace it)`, { code: 'EEXIST', cause: err });
      }
      throw err;
    }
  }
}

/** Creates an output directory; 0700 when it will hold private keys. */
export async function ensureDir(path: string, forSecrets: boolean): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) throw new PkiInputError(`${path} exists and is not a directory`);
    return;
  } catch (err) {
    if (err instanceof PkiInputError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path, { recursive: true, mode: forSecrets ? 0o700 : 0o755 });
}
