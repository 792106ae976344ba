// The service-account mount point (/var/run/secrets/kubernetes.io/serviceaccount): created on the
// host when missing (the bind mount itself only exists in each container's mount namespace),
// remembered in the state directory, and removed at teardown when empty and mounted nowhere.

import { mkdir, readdir, readFile, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './exec';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

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

/** Makes sure the mount point exists; directories this creates are recorded for teardown. */
export function ensureServiceAccountMountpoint(stateDir: string): Promise<void> {
  return serialized(async () => {
    const first = await mkdir(SERVICE_ACCOUNT_MOUNT, { recursive: true });
    if (first === undefined) return;
    const created: string[] = [];
    for (let p = SERVICE_ACCOUNT_MOUNT; p.length >= first.length; p = p.slice(0, p.lastIndexOf('/'))) created.push(p);
    const all = [...new Set([...(await readCreated(stateDir)), ...created])];
    await mkdir(stateDir, { recursive: true });
    await writeFile(recordPath(stateDir), `${JSON.stringify(all)}\n`);
  });
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
