// Driving the benchmark's own local cluster from the outside, as a user would: the `ambit` CLI
// and kubectl with the cluster's state root, name and kubeconfig in their environment, every call
// bounded by a timeout; commands inside a node's network namespace; polling until a condition.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';

export interface ClusterHandle {
  /** Cluster name (AMBIT_CLUSTER), e.g. `bench`. */
  readonly name: string;
  readonly block: 0 | 1;
  /** AMBIT_STATE_ROOT: the directory holding `<name>/` (inside the run's temp dir). */
  readonly stateRoot: string;
  readonly stateDir: string;
  readonly kubeconfig: string;
  /** The compiled `ambit` entry point (dist/cli/main.js). */
  readonly cli: string;
}

export function clusterHandle(repoRoot: string, stateRoot: string, name: string, block: 0 | 1): ClusterHandle {
  const stateDir = join(stateRoot, name);
  return { name, block, stateRoot, stateDir, kubeconfig: join(stateDir, 'kubeconfig'), cli: join(repoRoot, 'dist', 'cli', 'main.js') };
}

function envOf(c: ClusterHandle): NodeJS.ProcessEnv {
  return { ...process.env, AMBIT_STATE_ROOT: c.stateRoot, AMBIT_CLUSTER: c.name, KUBECONFIG: c.kubeconfig };
}

/** Runs a command to completion; a non-zero exit or the timeout is a MeshError carrying its output. */
export function runCommand(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { env: opts.env ?? process.env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) {
        resolve(String(stdout));
        return;
      }
      const tail = `${String(stdout)}\n${String(stderr)}`.trim().slice(-2000);
      const timedOut = (err as { killed?: boolean }).killed === true;
      reject(new MeshError(timedOut ? ErrorCode.Timeout : ErrorCode.Unavailable,
        `${command} ${args.join(' ')} ${timedOut ? `did not finish within ${opts.timeoutMs} ms` : 'failed'}${tail ? `:\n${tail}` : ''}`, { cause: err }));
    });
  });
}

export function ambit(c: ClusterHandle, args: readonly string[], timeoutMs = 240_000): Promise<string> {
  return runCommand(process.execPath, [c.cli, ...args], { env: envOf(c), timeoutMs });
}

export function kubectl(c: ClusterHandle, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return runCommand('kubectl', args, { env: envOf(c), timeoutMs });
}

/** Runs a command inside a network namespace (a node's: where ztunnel's admin port is). */
export function inNetns(netns: string, command: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return runCommand('ip', ['netns', 'exec', netns, command, ...args], { timeoutMs });
}

/** Polls `probe` until it returns a value; on timeout throws with the last error and `context()`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, context?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const extra = context ? await context().catch(() => '') : '';
      throw new MeshError(ErrorCode.Timeout, `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${describeError(last)})` : ''}${extra ? `\n${extra}` : ''}`);
    }
    await sleep(500);
  }
}

export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly node: string;
  readonly ip: string;
  readonly ready: boolean;
}

interface PodJson {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { nodeName?: string };
  status?: { podIP?: string; conditions?: { type?: string; status?: string }[] };
}

/** Pods of a namespace (optionally by label selector) as plain data. */
export async function listPods(c: ClusterHandle, namespace: string, selector?: string): Promise<PodInfo[]> {
  const args = ['get', 'pods', '-n', namespace, '-o', 'json', ...(selector ? ['-l', selector] : [])];
  const doc = JSON.parse(await kubectl(c, args)) as { items?: PodJson[] };
  return (doc.items ?? []).map((p) => ({
    name: p.metadata?.name ?? '',
    namespace: p.metadata?.namespace ?? namespace,
    uid: p.metadata?.uid ?? '',
    node: p.spec?.nodeName ?? '',
    ip: p.status?.podIP ?? '',
    ready: p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
  }));
}
