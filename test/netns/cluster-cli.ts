// What the root tests on a local cluster share: run the `ambit` CLI and kubectl against a test
// cluster of their own (its state root, name and kubeconfig come from the environment they pass).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..', '..');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClusterCli {
  /** Runs `ambit <args>`; a failure carries the command's stdout and stderr. */
  ambit(...args: string[]): Promise<string>;
  kubectl(...args: string[]): Promise<string>;
}

/** `env` is read on every call: tests fill in their state root and kubeconfig in `before`. */
export function clusterCli(env: () => NodeJS.ProcessEnv, ambitTimeoutMs: number): ClusterCli {
  return {
    async ambit(...args: string[]): Promise<string> {
      try {
        const { stdout } = await run(process.execPath, [CLI, ...args], { env: env(), timeout: ambitTimeoutMs });
        return stdout;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`ambit ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      }
    },
    async kubectl(...args: string[]): Promise<string> {
      const { stdout } = await run('kubectl', args, { env: env(), timeout: 60_000 });
      return stdout;
    },
  };
}
