// Checks the machine can run a local cluster (root, Linux, the commands it needs) and names the
// Debian package to install for anything missing.

import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export const REQUIRED_COMMANDS = [
  { command: 'ip', pkg: 'iproute2' },
  { command: 'iptables', pkg: 'iptables' },
  { command: 'iptables-restore', pkg: 'iptables' },
  { command: 'mount', pkg: 'mount' },
  { command: 'nsenter', pkg: 'util-linux' },
  { command: 'curl', pkg: 'curl' },
] as const;

async function onPath(command: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/sbin', '/sbin']) {
    try { await access(join(d, command), constants.X_OK); return true; } catch { /* next */ }
  }
  return false;
}

/** Returns one line per problem; empty when the machine is ready. */
export async function missingPrerequisites(): Promise<string[]> {
  const problems: string[] = [];
  if (process.platform !== 'linux') problems.push('the local cluster needs Linux (network namespaces)');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('the local cluster needs root (it creates network namespaces, interfaces and iptables rules): run it with sudo');
  const missing = new Map<string, string[]>();
  for (const { command, pkg } of REQUIRED_COMMANDS) {
    if (!(await onPath(command))) missing.set(pkg, [...(missing.get(pkg) ?? []), command]);
  }
  for (const [pkg, cmds] of missing) problems.push(`'${cmds.join("', '")}' not found: install it with 'apt-get install -y ${pkg}'`);
  return problems;
}
