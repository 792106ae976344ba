// Writes a volume's files the way the kubelet's AtomicWriter does, so a reader never sees half an
// update: the files go into a fresh hidden directory `..<time>`, then the symbolic link `..data`
// is switched to it with one rename, and each top-level name is a link `name → ..data/name`.
// Unchanged content is not rewritten; the previous generation is removed after the switch.

import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { VolumeFile } from './volume-content';

const DATA_LINK = '..data';
const DATA_TMP = '..data_tmp';

function generationName(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '');
  return `..${t}.${randomBytes(4).toString('hex')}`;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** Whether the current generation holds exactly these files (bytes and modes). */
async function sameContent(dir: string, generation: string, files: readonly VolumeFile[]): Promise<boolean> {
  const base = join(dir, generation);
  const listed: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(base, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else listed.push(path);
    }
  };
  try {
    await walk('');
    if (listed.length !== files.length) return false;
    for (const f of files) {
      const full = join(base, f.path);
      if (((await stat(full)).mode & 0o777) !== f.mode) return false;
      if (!(await readFile(full)).equals(f.data)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `dir` hold exactly `files` (paths relative, already checked). Returns false when the
 * content was already there. Paths starting with `..` are reserved for the writer.
 */
export async function writeVolumeFiles(dir: string, files: readonly VolumeFile[], now: Date = new Date()): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const previous = await readlink(join(dir, DATA_LINK)).catch((e: unknown) => {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  });
  if (previous !== undefined && (await sameContent(dir, previous, files))) return false;

  const generation = generationName(now);
  const base = join(dir, generation);
  await mkdir(base, { mode: 0o755 });
  for (const f of files) {
    const full = join(base, f.path);
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, f.data, { mode: f.mode });
    await chmod(full, f.mode); // the umask may have narrowed it
  }
  await rm(join(dir, DATA_TMP), { force: true });
  await symlink(generation, join(dir, DATA_TMP));
  await rename(join(dir, DATA_TMP), join(dir, DATA_LINK));

  const wanted = new Set(files.map((f) => f.path.split('/')[0]));
  for (const name of wanted) {
    const link = join(dir, name);
    const target = join(DATA_LINK, name);
    const current = await readlink(link).catch(() => undefined);
    if (current === target) continue;
    if (current !== undefined || (await lstat(link).catch(() => undefined))) await rm(link, { recursive: true, force: true });
    await symlink(target, link);
  }
  // Stale names, the previous generation and any left by an interrupted write.
  for (const entry of await readdir(dir)) {
    if (entry === DATA_LINK || entry === generation || wanted.has(entry)) continue;
    if (entry.startsWith('..')) await rm(join(dir, entry), { recursive: true, force: true });
    else await unlink(join(dir, entry)).catch(() => rm(join(dir, entry), { recursive: true, force: true }));
  }
  return true;
}
