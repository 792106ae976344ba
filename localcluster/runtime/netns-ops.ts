// Small I/O building blocks over iproute2 and /proc: listing network namespaces and links, running
// `ip -batch`, writing per-netns sysctls, and finding or killing the processes inside a netns.

import { readdir } from 'node:fs/promises';
import { errnoCode, execIn, ip, run, type RunResult } from './exec';
import { sendSignal, waitGone } from './pid-records';

const NETNS_RUN_DIR = '/run/netns';

/** Names of all named network namespaces (`ip netns list`, read from /run/netns). */
export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_RUN_DIR)).sort();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await listNetns()).includes(name);
}

export interface LinkInfo {
  name: string;
  /** Link kind (bridge, veth, ...) when iproute2 reports one. */
  kind: string | null;
  master: string | null;
  addresses: { family: string; local: string; prefixlen: number }[];
}

function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Links of the host netns, or of `netns`, with their kind, master and addresses. */
export async function listLinks(netns?: string): Promise<LinkInfo[]> {
  const args = ['-j', '-d', 'addr', 'show'];
  const { stdout } = await run('ip', netns ? ['-n', netns, ...args] : args);
  const parsed: unknown = JSON.parse(stdout || '[]');
  if (!Array.isArray(parsed)) return [];
  const out: LinkInfo[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    const name = asString(o.ifname);
    if (!name) continue;
    const linkinfo = typeof o.linkinfo === 'object' && o.linkinfo !== null ? (o.linkinfo as Record<string, unknown>) : {};
    const addrs = Array.isArray(o.addr_info) ? (o.addr_info as unknown[]) : [];
    out.push({
      name,
      kind: asString(linkinfo.info_kind),
      master: asString(o.master),
      addresses: addrs.flatMap((a) => {
        if (typeof a !== 'object' || a === null) return [];
        const r = a as Record<string, unknown>;
        const family = asString(r.family);
        const local = asString(r.local);
        return family && local && typeof r.prefixlen === 'number' ? [{ family, local, prefixlen: r.prefixlen }] : [];
      }),
    });
  }
  return out;
}

/** Runs several `ip` commands in one process (`ip [-n netns] -batch -`); stops at the first error. */
export function ipBatch(netns: string | null, commands: readonly string[]): Promise<RunResult> {
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  return ip(args, { input: `${commands.join('\n')}\n` });
}

const SYSCTL_KEY = /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/;

/** Writes /proc/sys/<key> = value inside `netns`; keys use slashes: net/ipv4/ip_forward. */
export async function setSysctls(netns: string, values: Readonly<Record<string, string>>): Promise<void> {
  const args: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!SYSCTL_KEY.test(key) || key.includes('..')) throw new Error(`invalid sysctl key '${key}'`);
    args.push(key, value);
  }
  const script = 'while [ $# -gt 1 ]; do printf "%s\\n" "$2" > "/proc/sys/$1" || exit 1; shift 2; done';
  await execIn(netns, 'sh', ['-c', script, 'sysctl', ...args]);
}

/** Pids of the processes whose network namespace is `netns` (`ip netns pids`). */
export async function pidsInNetns(netns: string): Promise<number[]> {
  const r = await ip(['netns', 'pids', netns], { allowFailure: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** SIGKILLs every process left in `netns` and waits (briefly) until they are gone; returns how many. */
export async function killNetnsProcesses(netns: string): Promise<number> {
  const pids = await pidsInNetns(netns);
  for (const pid of pids) sendSignal(pid, 'SIGKILL');
  if (pids.length) await waitGone(pids, 5_000);
  return pids.length;
}
