// Pinning processes the benchmark did not start itself (the ztunnels and server pods the local
// cluster's kubelet runs): every thread onto one core with `taskset -a -cp`, and every thread to
// the same niceness as the processes the harness starts, so all paths get the same treatment.

import { readdir } from 'node:fs/promises';
import { runCommand } from './kube-cli';

/** Pins every thread of `pid` (threads started later inherit it) to `core`. */
export async function pinToCore(pid: number, core: number): Promise<void> {
  await runCommand('taskset', ['-a', '-cp', String(core), String(pid)], { timeoutMs: 10_000 });
}

/** Sets the niceness of every thread of `pid` (Linux applies it per thread). */
export async function reniceAll(pid: number, nice: number): Promise<void> {
  const tids = (await readdir(`/proc/${pid}/task`)).filter((t) => /^\d+$/.test(t));
  if (tids.length === 0) return;
  await runCommand('renice', ['-n', String(nice), '-p', ...tids], { timeoutMs: 10_000 });
}

/** Pins and renices as asked (either may be undefined: skipped). */
export async function placeProcess(pid: number, core: number | undefined, nice: number | undefined): Promise<void> {
  if (core !== undefined) await pinToCore(pid, core);
  if (nice !== undefined && nice !== 0) await reniceAll(pid, nice);
}
