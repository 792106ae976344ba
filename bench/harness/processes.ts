// Starting and stopping the processes of a benchmark run. Every process gets its own process
// group (so its children die with it), may be pinned to a core with taskset, keeps the tail of its
// output for error messages, and is tracked until it exits: stopAll() on the normal path, and
// killAllSync() from an 'exit' handler as the last resort, so nothing outlives the run.

import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';

export interface StartOptions {
  /** A short name for logs and results (e.g. `stunnel-client`). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Pin to this CPU core with `taskset -c`. */
  readonly cpu?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  hasExited(): boolean;
  /** The last bytes written to stdout and stderr, interleaved. */
  outputTail(): string;
  /** Resolves with the first match of `pattern` in stdout/stderr; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

const TAIL_BYTES = 16 * 1024;
const MAX_CAPTURE_BYTES = 32 * 1024 * 1024;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** The argv that runs `opts` under `nice -n` and `taskset -c` as asked (both exec, so the pid stays). */
export function commandLine(opts: StartOptions, nice?: number): string[] {
  const argv = [opts.command, ...opts.args];
  if (opts.cpu !== undefined) argv.unshift('taskset', '-c', String(opts.cpu));
  if (nice !== undefined && nice !== 0) argv.unshift('nice', '-n', String(nice));
  return argv;
}

function spawnGroup(opts: StartOptions, nice: number | undefined): ChildProcess {
  const [command, ...args] = commandLine(opts, nice);
  return spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true, // own process group: stop() signals the whole group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Tracked {
  readonly name: string;
  readonly pid: number;
  stop(graceMs: number): Promise<void>;
}

export interface SupervisorOptions {
  /**
   * Scheduling niceness for everything started (e.g. -10 as root), so other work on a shared
   * machine disturbs the measured processes less. Applied to every process alike.
   */
  readonly nice?: number;
}

export class ProcessSupervisor {
  private readonly live = new Map<number, Tracked>();
  private closed = false;
  readonly nice: number | undefined;

  constructor(options: SupervisorOptions = {}) {
    this.nice = options.nice;
  }

  private refuseIfClosed(name: string): void {
    if (this.closed) throw new MeshError(ErrorCode.Unavailable, `not starting ${name}: the run is shutting down`);
  }

  /** Starts a long-running process (a server, an agent). Throws if it cannot be spawned. */
  async start(opts: StartOptions): Promise<ManagedProcess> {
    this.refuseIfClosed(opts.name);
    const child = spawnGroup(opts, this.nice);
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? -1));
      child.once('error', (err) => reject(new MeshError(ErrorCode.Unavailable, `cannot start ${opts.name} (${opts.command})`, { cause: err })));
    });
    let tail = '';
    let exitedFlag = false;
    const watchers = new Set<() => void>();
    const onData = (chunk: Buffer): void => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
      for (const w of watchers) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        exitedFlag = true;
        this.live.delete(pid);
        signalGroup(pid, 'SIGKILL'); // leftovers of the group, if any
        for (const w of watchers) w();
        resolve({ code, signal });
      });
    });

    const managed: ManagedProcess = {
      name: opts.name,
      pid,
      exited,
      hasExited: () => exitedFlag,
      outputTail: () => tail,
      waitForOutput: (pattern, timeoutMs) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = (): void => {
            const m = pattern.exec(tail);
            if (m) finish(() => resolve(m));
            else if (exitedFlag) finish(() => reject(new MeshError(ErrorCode.Unavailable, `${opts.name} exited before it was ready; its output ends with:\n${tail.slice(-2000)}`)));
          };
          const timer = setTimeout(() => finish(() => reject(new MeshError(ErrorCode.Timeout, `${opts.name} did not print ${pattern} within ${timeoutMs} ms; its output ends with:\n${tail.slice(-2000)}`))), timeoutMs);
          const finish = (settle: () => void): void => {
            clearTimeout(timer);
            watchers.delete(check);
            settle();
          };
          watchers.add(check);
          check();
        }),
      stop: async (graceMs = 5000) => {
        if (exitedFlag) return;
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
    this.live.set(pid, managed);
    return managed;
  }

  /**
   * Runs a bounded command to completion (a load generator) and returns its output. Killed with
   * its process group after `timeoutMs`, which rejects with MeshError(Timeout).
   */
  async run(opts: StartOptions & { readonly timeoutMs: number }): Promise<RunResult> {
    this.refuseIfClosed(opts.name);
    const child = spawnGroup(opts, this.nice);
    const pid = child.pid;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let captured = 0;
    const keep = (into: Buffer[]) => (chunk: Buffer): void => {
      if (captured + chunk.length > MAX_CAPTURE_BYTES) return;
      captured += chunk.length;
      into.push(chunk);
    };
    child.stdout?.on('data', keep(out));
    child.stderr?.on('data', keep(err));
    const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    if (pid !== undefined) {
      this.live.set(pid, { name: opts.name, pid, stop: async () => { signalGroup(pid, 'SIGKILL'); await closed; } });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    }, opts.timeoutMs);
    try {
      const exit = await new Promise<Exit>((resolve, reject) => {
        child.once('error', (e) => reject(new MeshError(ErrorCode.Unavailable, `cannot run ${opts.name} (${opts.command})`, { cause: e })));
        void closed.then(resolve);
      });
      const result = { ...exit, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (timedOut) {
        throw new MeshError(ErrorCode.Timeout, `${opts.name} did not finish within ${opts.timeoutMs} ms and was killed; stderr ends with:\n${result.stderr.slice(-2000)}`);
      }
      return result;
    } finally {
      clearTimeout(timer);
      if (pid !== undefined) {
        this.live.delete(pid);
        signalGroup(pid, 'SIGKILL');
      }
    }
  }

  /** Names and pids of the processes still running. */
  running(): readonly { readonly name: string; readonly pid: number }[] {
    return [...this.live.values()].map((p) => ({ name: p.name, pid: p.pid }));
  }

  /** Stops every tracked process (in reverse start order), each with a SIGKILL fallback. */
  async stopAll(graceMs = 5000): Promise<void> {
    const all = [...this.live.values()].reverse();
    await Promise.all(all.map((p) => p.stop(graceMs)));
  }

  /** Stops everything and refuses to start anything after (Ctrl-C while a scenario is running). */
  async shutdown(graceMs = 3000): Promise<void> {
    this.closed = true;
    await this.stopAll(graceMs);
  }

  /** Synchronous last resort for `process.on('exit')`: SIGKILL every tracked process group. */
  killAllSync(): void {
    for (const pid of this.live.keys()) signalGroup(pid, 'SIGKILL');
    this.live.clear();
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until a TCP connect to host:port succeeds; rejects after `timeoutMs` or when `proc` exits. */
export async function waitForPort(host: string, port: number, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.hasExited()) {
      throw new MeshError(ErrorCode.Unavailable, `${proc.name} exited before listening on ${host}:${port}; its output ends with:\n${proc.outputTail().slice(-2000)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new MeshError(ErrorCode.Timeout, `nothing listened on ${host}:${port} within ${timeoutMs} ms${proc ? ` (${proc.name})` : ''}`);
}
