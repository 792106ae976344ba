// Mount points of container bind mounts (the service-account directory, projected tokens,
// ConfigMap and Secret volumes, ...): checked (absolute, no `..`, not `/`, nothing under /proc,
// /sys or /dev), created on the host when missing (the bind mounts themselves only exist in each
// container's mount namespace), remembered in the state directory, and removed at teardown when
// empty and mounted nowhere.

import { mkdir, readdir, readFile, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { errnoCode } from './exec';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Host trees a container mount may never cover (or create directories in). */
const FORBIDDEN_ROOTS = ['/proc', '/sys', '/dev'] as const;

/** Why `path` cannot be a container mount point, or undefined when it can. Pure. */
export function mountPathProblem(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (!path.startsWith('/')) return 'must be an absolute path';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'must not contain control characters';
  if (path.split('/').includes('..')) return "must not contain '..'";
  const normal = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (normal === '/') return "must not be '/'";
  const root = FORBIDDEN_ROOTS.find((r) => normal === r || normal.startsWith(`${r}/`));
  if (root) return `must not be ${root} or under it`;
  return undefined;
}

/** Why `path` cannot be the host side of a bind mount (absolute, no `..`), or undefined. Pure. */
export function hostDirProblem(path: string): string | undefined {
  if (path === '' || !path.startsWith('/')) return 'must be an absolute path';
  if (path.split('/').includes('..')) return "must not contain '..'";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'must not contain control characters';
  return undefined;
}

function recordPath(stateDir: string): string {
  return join(stateDir, 'created-mountpoints.json');
}

async function readCreated(stateDir: string): Promise<string[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(recordPath(stateDir), 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

let chain: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier call finished (record updates never interleave). */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(fn, fn);
  chain = next.catch(() => undefined);
  return next;
}

/**
 * Makes sure the mount point `path` exists on the host; directories this creates are recorded for
 * teardown. Refuses bad paths, also when a symbolic link on the way leads somewhere forbidden.
 */
export function ensureMountpoint(stateDir: string, path: string): Promise<void> {
  const problem = mountPathProblem(path);
  if (problem) return Promise.reject(new Error(`mount path ${JSON.stringify(path)} ${problem}`));
  const target = posix.normalize(path).replace(/\/+$/, '');
  return serialized(async () => {
    const first = await mkdir(target, { recursive: true });
    const resolved = await realpath(target);
    const resolvedProblem = mountPathProblem(resolved);
    if (first !== undefined) {
      const created: string[] = [];
      for (let p = target; p.length >= first.length; p = p.slice(0, p.lastIndexOf('/'))) created.push(p);
      const all = [...new Set([...(await readCreated(stateDir)), ...created])];
      await mkdir(stateDir, { recursive: true });
      await writeFile(recordPath(stateDir), `${JSON.stringify(all)}\n`);
    }
    if (resolvedProblem) throw new Error(`mount path ${JSON.stringify(path)} resolves to ${resolved}, which ${resolvedProblem}`);
  });
}

/** The service-account mount point (see ensureMountpoint). */
export function ensureServiceAccountMountpoint(stateDir: string): Promise<void> {
  return ensureMountpoint(stateDir, SERVICE_ACCOUNT_MOUNT);
}

/** Mount points (real paths) of every process's mount namespace. */
async function mountedPaths(): Promise<Set<string>> {
  const out = new Set<string>();
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  await Promise.all(
    pids.map(async (pid) => {
      try {
        for (const line of (await readFile(`/proc/${pid}/mountinfo`, 'utf8')).split('\n')) {
          const target = line.split(' ')[4];
          if (target) out.add(target);
        }
      } catch {
        // the process is gone
      }
    }),
  );
  return out;
}

/**
 * Removes the recorded directories, deepest first, when empty and not a mount point in any
 * process (removing a directory mounted over in another mount namespace would detach that mount).
 */
export function removeCreatedMountpoints(stateDir: string): Promise<void> {
  return serialized(async () => {
    const created = (await readCreated(stateDir)).sort((a, b) => b.length - a.length);
    if (created.length === 0) return;
    const mounted = await mountedPaths();
    const kept: string[] = [];
    for (const dir of created) {
      try {
        if (mounted.has(await realpath(dir))) {
          kept.push(dir);
          continue;
        }
        await rmdir(dir);
      } catch (e) {
        const code = errnoCode(e);
        if (code !== 'ENOENT') kept.push(dir);
      }
    }
    if (kept.length) await writeFile(recordPath(stateDir), `${JSON.stringify(kept)}\n`);
    else await rm(recordPath(stateDir), { force: true });
  });
}
