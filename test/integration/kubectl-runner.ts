// Runs the machine's real kubectl for integration tests: `kubectl()` resolves to the exit code and
// output, `ok()` asserts success and returns stdout. The environment (KUBECONFIG) is read per call.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

export const KUBECTL = '/usr/bin/kubectl';

export interface Run { code: number; stdout: string; stderr: string }

export function kubectlRunner(env: () => NodeJS.ProcessEnv, timeoutMs = 30_000) {
  const kubectl = (...args: string[]): Promise<Run> => new Promise((resolve) => {
    execFile(KUBECTL, args, { env: env(), timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  return { kubectl, ok };
}
