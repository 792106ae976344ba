// Running system commands (ip, iptables, ...) asynchronously with errors that name the command
// and its stderr, and the prerequisite check (root, iproute2, iptables) done before setup.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    cause?: unknown,
  ) {
    super(`command failed (exit ${exitCode === null ? 'none' : exitCode}): ${command}${stderr ? `\n${stderr.trim()}` : ''}`, { cause });
    this.name = 'CommandError';
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

function describe(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs `cmd args` without a shell; rejects with CommandError unless allowFailure is set. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: unknown) => reject(new CommandError(describe(cmd, args), null, errorMessage(e), e)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 };
      if (code === 0 || (options.allowFailure && signal === null)) resolve(result);
      else reject(new CommandError(describe(cmd, args), code, result.stderr || (signal ? `killed by ${signal}` : '')));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `ip <args>`. */
export function ip(args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run('ip', args, options);
}

/** Runs `ip -n <netns> <args>` (no mount namespace needed, so cheaper than `ip netns exec`). */
export function ipIn(netns: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run('ip', ['-n', netns, ...args], options);
}

/** Runs a command inside a netns with `ip netns exec`. */
export function execIn(netns: string, cmd: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args], options);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Node's errno code of an error (ENOENT, ESRCH, ...), if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

const REQUIRED_TOOLS = [
  { cmd: 'ip', args: ['-V'], pkg: 'iproute2' },
  { cmd: 'iptables', args: ['--version'], pkg: 'iptables' },
  { cmd: 'iptables-save', args: ['--version'], pkg: 'iptables' },
  { cmd: 'iptables-restore', args: ['--version'], pkg: 'iptables' },
] as const;

/**
 * Throws one error listing everything missing: root, the tools, and (when bridged traffic goes
 * through iptables because br_netfilter is loaded) a FORWARD policy that would drop node traffic.
 */
export async function checkPrerequisites(): Promise<void> {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('the local cluster runtime needs root (network namespaces, veth pairs, iptables)');
  }
  for (const tool of REQUIRED_TOOLS) {
    try {
      await run(tool.cmd, tool.args);
    } catch (e) {
      problems.push(`'${tool.cmd}' is not usable (${errorMessage(e).split('\n')[0]}); install it with: apt-get install ${tool.pkg}`);
    }
  }
  if (problems.length === 0 && (await bridgeCallsIptables())) {
    const forward = await run('iptables', ['-S', 'FORWARD'], { allowFailure: true });
    if (/^-P FORWARD DROP/m.test(forward.stdout)) {
      problems.push(
        'br_netfilter passes bridged packets through iptables (net.bridge.bridge-nf-call-iptables=1) and the ' +
          "host's FORWARD policy is DROP, so nodes could not reach each other; set the policy to ACCEPT or " +
          'add an ACCEPT rule for the cluster bridge',
      );
    }
  }
  if (problems.length) throw new Error(`local cluster prerequisites are missing:\n- ${problems.join('\n- ')}`);
}

async function bridgeCallsIptables(): Promise<boolean> {
  try {
    return (await readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8')).trim() === '1';
  } catch {
    return false;
  }
}
