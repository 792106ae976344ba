// Container processes: runs a container command inside a pod's (or node's) netns with its env,
// working directory, log file and bind mounts (volumes, the service-account directory) made in the
// container's own mount namespace; restarts it with kubelet-style backoff, reports its state,
// records its pid, and stops its whole process group on request.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, posix } from 'node:path';
import { nextRestartDelay, shouldRestart, type RestartPolicy } from './backoff';
import { errorMessage } from './exec';
import { logDir, logFileName } from './names';
import { removePidRecord, signalGroup, writePidRecord } from './pid-records';
import { readProcStat } from './proc-stat';
import { ensureMountpoint, hostDirProblem, mountPathProblem, SERVICE_ACCOUNT_MOUNT } from './sa-mountpoint';

export interface ContainerStart {
  podUID: string;
  namespace: string;
  podName: string;
  containerName: string;
  /** Netns to run in: the pod's, or the node's for hostNetwork pods. */
  netns: string;
  /** argv: command followed by its arguments (looked up on the PATH of `env`). */
  command: readonly string[];
  /** The container's whole environment; PATH defaults to the usual system one when absent. */
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Directories bind-mounted into the container's mount namespace (parents before children). */
  mounts?: readonly BindMount[];
  /** Shorthand for a read-only mount of this directory (token, ca.crt, namespace) at SERVICE_ACCOUNT_MOUNT. */
  serviceAccountDir?: string;
  /** Default Always. */
  restartPolicy?: RestartPolicy;
  /** SIGTERM-to-SIGKILL grace when stopping; default 5000 ms. */
  stopGraceMs?: number;
}

/** A host directory made visible at `mountPath` inside one container only. */
export interface BindMount {
  /** Absolute host directory, no `..`. */
  hostDir: string;
  /** Absolute, no `..`, not `/`, not under /proc, /sys or /dev; created on the host when missing. */
  mountPath: string;
  readOnly: boolean;
}

export interface ContainerTermination {
  /** Exit code, or 128 + signal number when killed by a signal. */
  exitCode: number;
  signal: string | null;
  reason: 'Completed' | 'Error';
  startedAt: Date;
  finishedAt: Date;
}

export type ContainerState =
  | { state: 'waiting'; reason: 'ContainerCreating' | 'CrashLoopBackOff' | 'StartError'; message?: string; restartCount: number; lastTermination?: ContainerTermination }
  | { state: 'running'; pid: number; startedAt: Date; restartCount: number; lastTermination?: ContainerTermination }
  | ({ state: 'terminated'; restartCount: number } & ContainerTermination);

export interface RunningContainer {
  readonly spec: ContainerStart;
  readonly logFile: string;
  /** The latest state reported to the callback. */
  readonly current: ContainerState;
  /** Stops the container (SIGTERM to its process group, SIGKILL after the grace) and any restart. */
  stop(graceMs?: number): Promise<void>;
}

export const DEFAULT_STOP_GRACE_MS = 5_000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// $1: the number of mounts, then (host dir, mount path, ro|rw) per mount; the rest is the
// container's argv. Runs inside the mount namespace `ip netns exec` creates, so the bind mounts
// never show in the host's. A mount path hidden by an earlier mount is created inside it.
const WRAPPER = [
  'n="$1"; shift',
  'while [ "$n" -gt 0 ]; do',
  '  src="$1"; dst="$2"; mode="$3"; shift 3',
  '  [ -d "$dst" ] || mkdir -p "$dst" || exit 126',
  '  mount --bind "$src" "$dst" || { echo "ambit: cannot mount $src at $dst" >&2; exit 126; }',
  '  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst" || exit 126; fi',
  '  n=$((n - 1))',
  'done',
  'exec "$@"',
].join('\n');

/**
 * The bind mounts of a container, checked and ordered parents first (a mount at /a/b after one
 * at /a would be hidden otherwise). Throws an Error naming the first bad or duplicate path. Pure.
 */
export function planBindMounts(spec: Pick<ContainerStart, 'mounts' | 'serviceAccountDir'>): BindMount[] {
  const all: BindMount[] = [...(spec.mounts ?? [])];
  if (spec.serviceAccountDir) all.push({ hostDir: spec.serviceAccountDir, mountPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
  const seen = new Set<string>();
  const out: BindMount[] = [];
  for (const m of all) {
    const mountProblem = mountPathProblem(m.mountPath);
    if (mountProblem) throw new Error(`mount path ${JSON.stringify(m.mountPath)} ${mountProblem}`);
    const hostProblem = hostDirProblem(m.hostDir);
    if (hostProblem) throw new Error(`host directory ${JSON.stringify(m.hostDir)} for ${m.mountPath} ${hostProblem}`);
    const mountPath = posix.normalize(m.mountPath).replace(/\/+$/, '');
    if (seen.has(mountPath)) throw new Error(`two mounts at ${mountPath}`);
    seen.add(mountPath);
    out.push({ hostDir: m.hostDir, mountPath, readOnly: m.readOnly });
  }
  const depth = (p: string): number => p.split('/').length;
  return out.sort((a, b) => depth(a.mountPath) - depth(b.mountPath));
}

/** The `ip` arguments that run `command` in `netns` with `mounts` made first. Pure. */
export function containerArgs(netns: string, mounts: readonly BindMount[], command: readonly string[]): string[] {
  const mountArgs = mounts.flatMap((m) => [m.hostDir, m.mountPath, m.readOnly ? 'ro' : 'rw']);
  return ['netns', 'exec', netns, 'sh', '-c', WRAPPER, 'ambit-container', String(mounts.length), ...mountArgs, ...command];
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const n = signal ? constants.signals[signal] : undefined;
  return typeof n === 'number' ? 128 + n : 255;
}

function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

class ContainerProcess implements RunningContainer {
  readonly logFile: string;
  current: ContainerState = { state: 'waiting', reason: 'ContainerCreating', restartCount: 0 };
  private restartCount = 0;
  private lastDelayMs: number | null = null;
  private lastTermination: ContainerTermination | undefined;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private child: ChildProcess | null = null;
  /** Settles when the current attempt (launch, run, exit bookkeeping) is over. */
  private attempt: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: ContainerStart,
    private readonly stateDir: string,
    private readonly onState: (s: ContainerState) => void,
  ) {
    this.logFile = join(logDir(stateDir), logFileName(spec.namespace, spec.podName, spec.containerName));
    this.emit(this.current);
    this.attempt = this.launch();
  }

  private emit(s: ContainerState): void {
    this.current = s;
    try {
      this.onState(s);
    } catch {
      // a failing observer must not break supervision
    }
  }

  private launch(): Promise<void> {
    return new Promise<void>((done) => {
      void this.spawnChild(done);
    });
  }

  private async spawnChild(done: () => void): Promise<void> {
    const { spec } = this;
    let log: Awaited<ReturnType<typeof open>>;
    let mounts: BindMount[];
    try {
      if (spec.command.length === 0) throw new Error('container command is empty');
      mounts = planBindMounts(spec);
      for (const m of mounts) {
        if (!(await stat(m.hostDir)).isDirectory()) throw new Error(`${m.hostDir} (for ${m.mountPath}) is not a directory`);
        await ensureMountpoint(this.stateDir, m.mountPath);
      }
      await mkdir(logDir(this.stateDir), { recursive: true });
      log = await open(this.logFile, 'a');
    } catch (e) {
      this.startFailed(e, done);
      return;
    }
    if (this.stopping) {
      await log.close();
      done();
      return;
    }
    const env: Record<string, string> = { ...spec.env };
    if (env.PATH === undefined) env.PATH = DEFAULT_PATH;
    const args = containerArgs(spec.netns, mounts, spec.command);
    const startedAt = new Date();
    let child: ChildProcess;
    try {
      child = spawn('ip', args, { detached: true, stdio: ['ignore', log.fd, log.fd], env, cwd: spec.cwd });
    } catch (e) {
      await log.close();
      this.startFailed(e, done);
      return;
    }
    // No await from here until the listeners are attached: the child may exit at once, and stop()
    // must see it as current. The child has its own copy of the log descriptor.
    void log.close().catch(() => undefined);
    this.child = child;
    let recorded: Promise<void> = Promise.resolve();
    let settled = false;
    const pid = child.pid;
    if (pid !== undefined) {
      recorded = this.record(pid);
      this.emit({ state: 'running', pid, startedAt, restartCount: this.restartCount, lastTermination: this.lastTermination });
    }
    child.once('error', (e) => {
      if (settled) return;
      settled = true;
      this.child = null;
      this.startFailed(e, done);
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      this.child = null;
      if (pid !== undefined) {
        try {
          signalGroup(pid, 'SIGKILL'); // whatever the container left behind in its group
        } catch {
          // nothing left to kill
        }
      }
      void recorded
        .then(() => removePidRecord(this.stateDir, spec.podUID, spec.containerName))
        .catch(() => undefined)
        .then(() => this.exited(code, signal, startedAt, done));
    });
  }

  private async record(pid: number): Promise<void> {
    const stat = await readProcStat(pid);
    if (!stat) return;
    const { spec } = this;
    await writePidRecord(this.stateDir, {
      pid,
      startTime: stat.startTime,
      pgid: pid,
      netns: spec.netns,
      podUID: spec.podUID,
      container: spec.containerName,
      command: [...spec.command],
    }).catch(() => undefined);
  }

  private startFailed(e: unknown, done: () => void): void {
    done();
    if (this.stopping) return;
    this.emit({ state: 'waiting', reason: 'StartError', message: errorMessage(e), restartCount: this.restartCount, lastTermination: this.lastTermination });
    this.scheduleRestart(0);
  }

  private exited(code: number | null, signal: NodeJS.Signals | null, startedAt: Date, done: () => void): void {
    const exitCode = code ?? signalExitCode(signal);
    const finishedAt = new Date();
    const termination: ContainerTermination = { exitCode, signal, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt };
    this.lastTermination = termination;
    done();
    this.emit({ state: 'terminated', restartCount: this.restartCount, ...termination });
    if (this.stopping || !shouldRestart(this.spec.restartPolicy ?? 'Always', code ?? null)) return;
    this.scheduleRestart(finishedAt.getTime() - startedAt.getTime());
  }

  private scheduleRestart(ranForMs: number): void {
    const wait = nextRestartDelay(this.lastDelayMs, ranForMs);
    this.lastDelayMs = wait;
    if (this.current.state !== 'waiting') {
      this.emit({
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        message: `back-off ${wait / 1000}s restarting failed container ${this.spec.containerName}`,
        restartCount: this.restartCount,
        lastTermination: this.lastTermination,
      });
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restartCount++;
      this.attempt = this.launch();
    }, wait);
  }

  stop(graceMs?: number): Promise<void> {
    this.stopping = true;
    this.stopped ??= this.doStop(graceMs ?? this.spec.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
    return this.stopped;
  }

  private async doStop(graceMs: number): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const pid = this.child?.pid;
    if (pid !== undefined && signalGroup(pid, 'SIGTERM')) {
      const grace = delay(graceMs);
      const exitedInTime = await Promise.race([this.attempt.then(() => true), grace.promise.then(() => false)]);
      grace.cancel();
      if (!exitedInTime) signalGroup(pid, 'SIGKILL');
    }
    await this.attempt;
    if (this.current.state !== 'terminated') {
      const now = new Date();
      const last = this.lastTermination ?? { exitCode: 0, signal: null, reason: 'Completed' as const, startedAt: now, finishedAt: now };
      this.emit({ state: 'terminated', restartCount: this.restartCount, ...last });
    }
  }
}

/** Starts a container under supervision; `onState` gets every state change, starting with ContainerCreating. */
export function startContainer(stateDir: string, spec: ContainerStart, onState: (s: ContainerState) => void): RunningContainer {
  return new ContainerProcess(spec, stateDir, onState);
}
