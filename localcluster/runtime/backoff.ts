// Restart backoff of a container (pure), as a kubelet does for restartPolicy Always: 1 s doubling
// up to 30 s, back to 1 s once a container has run for 60 s before exiting.

export const RestartBackoff = {
  initialMs: 1_000,
  maxMs: 30_000,
  resetAfterMs: 60_000,
} as const;

/**
 * Delay before the next restart, given the delay used before the previous restart (null when
 * there was none) and how long the container ran this time.
 */
export function nextRestartDelay(previousDelayMs: number | null, ranForMs: number): number {
  if (previousDelayMs === null || ranForMs >= RestartBackoff.resetAfterMs) return RestartBackoff.initialMs;
  return Math.min(previousDelayMs * 2, RestartBackoff.maxMs);
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Whether a container that exited with `exitCode` (null: killed by a signal) is restarted. */
export function shouldRestart(policy: RestartPolicy, exitCode: number | null): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}
