// A small promise wrapper around execFile for the harness's one-shot queries (versions, git):
// bounded by a timeout, never throws — a failed command yields undefined.

import { execFile } from 'node:child_process';

export interface ExecOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function execQuiet(command: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ExecOutput | undefined> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: opts.cwd, timeout: opts.timeoutMs ?? 10_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        resolve(undefined); // not found, killed by the timeout
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
