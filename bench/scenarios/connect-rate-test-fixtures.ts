// Test-only fixtures for the connect-rate unit tests: a plausible client result and tunnel usage.

import type { ConnectLoadResult } from '../harness/connect-load-result';
import type { ProcessUsage } from '../harness/sampler';

/** A client result: 10 000 connections in the run, 8000 of them in an 8 s window at concurrency 8. */
export function clientResult(over: Partial<ConnectLoadResult> = {}): ConnectLoadResult {
  return {
    target: '198.18.2.5:9100', concurrency: 8, payloadBytes: 64, warmupSeconds: 2, measuredSeconds: 8,
    completed: 8000, errors: {}, errorTotal: 0, connectionsPerSecond: 1000,
    latencyMs: { p50: 1, p90: 2, p99: 4, max: 9, mean: 1.2 },
    warmup: { completed: 1900, errors: {} }, tail: { completed: 100, errors: {} }, all: { completed: 10_000, errors: {} },
    hardStopped: false, ...over,
  };
}

/** A tunnel process's usage over a window, `kernelShare` of it in the kernel. */
export function tunnelUsage(name: string, cpuSeconds: number, opts: { kernelShare?: number; exited?: boolean } = {}): ProcessUsage {
  const k = opts.kernelShare ?? 0.4;
  return { name, cpuSeconds, userSeconds: cpuSeconds * (1 - k), systemSeconds: cpuSeconds * k, rssMaxKb: 51200, rssMeanKb: 50000, exited: opts.exited ?? false };
}
