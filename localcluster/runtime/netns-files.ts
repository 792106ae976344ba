// Files `ip netns exec` bind-mounts into a network namespace's processes: /etc/netns/<netns>/hosts
// and resolv.conf. Written in place (same inode) so running processes see every update.

import { mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './exec';
import { renderHostsFile, renderResolvConf, type HostsTarget, type ServiceName } from './hosts-file';
import { ETC_NETNS_DIR, etcNetnsDir } from './names';

/**
 * Truncates and rewrites `path` (creating it if missing) without replacing the file: a bind mount
 * of it in a running process's mount namespace keeps pointing at this inode.
 */
export async function writeInPlace(path: string, content: string): Promise<void> {
  await writeFile(path, content, { flag: 'w', mode: 0o644 });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** Writes hosts and resolv.conf for `netns` (both rewritten in place). */
export async function writeDnsFiles(netns: string, target: HostsTarget, services: readonly ServiceName[]): Promise<void> {
  const dir = etcNetnsDir(netns);
  await mkdir(dir, { recursive: true });
  await writeInPlace(join(dir, 'hosts'), renderHostsFile(target, services));
  await writeInPlace(join(dir, 'resolv.conf'), renderResolvConf(target.namespace));
}

/**
 * Creates hosts and resolv.conf for `netns` when missing, so they exist (and get bind-mounted)
 * before the first process starts; content written earlier by writeDnsFiles is kept.
 */
export async function ensureDnsFiles(netns: string, target: HostsTarget): Promise<void> {
  const dir = etcNetnsDir(netns);
  await mkdir(dir, { recursive: true });
  if (!(await exists(join(dir, 'hosts')))) await writeInPlace(join(dir, 'hosts'), renderHostsFile(target, []));
  if (!(await exists(join(dir, 'resolv.conf')))) await writeInPlace(join(dir, 'resolv.conf'), renderResolvConf(target.namespace));
}

export async function removeDnsFiles(netns: string): Promise<void> {
  await rm(etcNetnsDir(netns), { recursive: true, force: true });
}

/** Entries of /etc/netns (empty when it does not exist). */
export async function listEtcNetns(): Promise<string[]> {
  try {
    return await readdir(ETC_NETNS_DIR);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}

/** Removes /etc/netns when nothing is left in it. */
export async function removeEtcNetnsIfEmpty(): Promise<void> {
  try {
    await rmdir(ETC_NETNS_DIR);
  } catch (e) {
    const code = errnoCode(e);
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
}
