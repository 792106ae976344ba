// Makes sure the external load tools are on PATH: finds the missing ones, installs their Debian
// packages with apt-get when running as root, and otherwise says exactly what to install.

import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { spawn } from 'node:child_process';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';

export interface ToolRequirement {
  /** The executable looked up on PATH. */
  readonly bin: string;
  /** The Debian package that provides it. */
  readonly debianPackage: string;
}

/** Full path of `bin` on PATH, or undefined. */
export async function whichBinary(bin: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, bin);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The packages to install for the requirements not found (deduplicated, in order). */
export function packagesFor(missing: readonly ToolRequirement[]): string[] {
  return [...new Set(missing.map((m) => m.debianPackage))];
}

function aptGet(args: readonly string[], log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    log(`$ apt-get ${args.join(' ')}`);
    const child = spawn('apt-get', [...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.stderr.on('data', (d: Buffer) => log(d.toString('utf8').trimEnd()));
    child.once('error', () => resolve(127));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

/** Installs what is missing (root only; `apt-get update` once if the first try fails). */
export async function ensureTools(requirements: readonly ToolRequirement[], log: (line: string) => void): Promise<void> {
  const missing: ToolRequirement[] = [];
  for (const r of requirements) if ((await whichBinary(r.bin)) === undefined) missing.push(r);
  if (missing.length === 0) return;
  const packages = packagesFor(missing);
  const installCommand = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  const names = missing.map((m) => m.bin).join(', ');
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new MeshError(ErrorCode.Unavailable, `the benchmark needs ${names}; install with: sudo ${installCommand}`);
  }
  log(`installing ${packages.join(', ')} (missing: ${names})`);
  const args = ['install', '-y', '--no-install-recommends', ...packages];
  if ((await aptGet(args, log)) !== 0) {
    await aptGet(['update', '-qq'], log);
    if ((await aptGet(args, log)) !== 0) throw new MeshError(ErrorCode.Unavailable, `'${installCommand}' failed; install ${names} by hand`);
  }
  for (const r of missing) {
    if ((await whichBinary(r.bin)) === undefined) throw new MeshError(ErrorCode.Unavailable, `${r.bin} is still not on PATH after installing ${r.debianPackage}`);
  }
}
