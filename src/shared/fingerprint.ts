/**
 * Content fingerprints for change detection. Reload polls these rather than trusting fs.watch:
 * Kubernetes Secret and ConfigMap volumes update by swapping a `..data` symlink, which never fires
 * an event for the file names the sidecar opened (fspiop-jws.md §5, trap T13). Following symlinks
 * and hashing contents catches that swap and ignores touch-only changes.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export async function fingerprintFile(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** A directory's fingerprint covers each regular file's name and content (not sub-directories). */
export async function fingerprintDirectory(path: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(path)).filter((n) => !n.startsWith('..')).sort();
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  const h = createHash('sha256');
  for (const name of names) {
    const full = join(path, name);
    try {
      if (!(await stat(full)).isFile()) continue;
    } catch {
      continue;
    }
    h.update(name).update('\0').update(await fingerprintFile(full)).update('\n');
  }
  return h.digest('hex');
}

export type WatchKind = 'file' | 'directory';

export function fingerprint(path: string, kind: WatchKind): Promise<string> {
  return kind === 'file' ? fingerprintFile(path) : fingerprintDirectory(path);
}
