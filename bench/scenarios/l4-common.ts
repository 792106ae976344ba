// What the three L4 scenarios (l4-latency, l4-throughput, l4-cost) share on the running side:
// the tools they need, the rounds count, the topology note for the report, the CPU-profile flag,
// and collecting per-round results by cell.

import { join } from 'node:path';
import type { L4BenchCluster } from '../cluster/l4-cluster';
import type { ScenarioContext, ScenarioFlag } from '../harness/scenario';
import type { ToolRequirement } from '../harness/tools';
import type { ToolVersionQuery } from '../harness/machine';
import type { TopologyNote } from './l4-report-common';

export const L4_TOOLS: readonly ToolRequirement[] = [
  { bin: 'iperf3', debianPackage: 'iperf3' },
  { bin: 'h2load', debianPackage: 'nghttp2-client' },
  { bin: 'stunnel4', debianPackage: 'stunnel4' },
  { bin: 'taskset', debianPackage: 'util-linux' },
  { bin: 'renice', debianPackage: 'bsdutils' },
  { bin: 'ip', debianPackage: 'iproute2' },
  { bin: 'curl', debianPackage: 'curl' },
  { bin: 'kubectl', debianPackage: 'kubectl' },
];

export const L4_TOOL_VERSIONS: readonly ToolVersionQuery[] = [
  { name: 'iperf3', command: 'iperf3', args: ['--version'] },
  { name: 'h2load', command: 'h2load', args: ['--version'] },
  { name: 'stunnel', command: 'stunnel4', args: ['-version'], line: /^stunnel \d/ },
  { name: 'kubectl', command: 'kubectl', args: ['version', '--client'], line: /^Client Version/ },
];

export const CPU_PROF_FLAG: ScenarioFlag = {
  name: 'cpu-prof',
  help: 'run the ztunnels under node --cpu-prof and summarise where their CPU goes (figures inflated; results get a .cpu-prof suffix)',
};

/** Rounds asked for, else 3 (1 with --quick). */
export function roundCount(ctx: ScenarioContext): number {
  return ctx.runs ?? (ctx.quick ? 1 : 3);
}

export function cpuProfileDir(ctx: ScenarioContext): string | undefined {
  return ctx.flags.has(CPU_PROF_FLAG.name) ? join(ctx.tmpDir, 'ztunnel-profiles') : undefined;
}

export function topologyNote(cluster: L4BenchCluster, rounds: number, nice: number | undefined): TopologyNote {
  const c = cluster.cores;
  const pinning = c.tunnel === undefined
    ? 'no pinning (fewer than 2 cores)'
    : `the tunnel processes (both ztunnels, both stunnels) pinned to core ${c.tunnel}; server pods and load generators to core ${c.load}`;
  return { pinning, rounds, ...(nice !== undefined ? { nice } : {}) };
}

/** Per-cell lists of round results, in run order. */
export class Rounds<T> {
  private readonly cells = new Map<string, T[]>();

  add(key: string, value: T): void {
    this.cells.set(key, [...(this.cells.get(key) ?? []), value]);
  }

  get(key: string): readonly T[] {
    return this.cells.get(key) ?? [];
  }

  all(): T[] {
    return [...this.cells.values()].flat();
  }
}

export function roundTag(round: number, rounds: number): string {
  return rounds > 1 ? `round ${round}/${rounds}, ` : '';
}
