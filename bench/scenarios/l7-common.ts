// What the two L7 scenarios (l7-latency, l7-rps) share on the running side: the tools they need
// (HAProxy and stunnel4 for the peer paths, h2load for the load), the flag that leaves the
// waypoint path out, the paths to set up, and the topology note for the report.

import { L7_PATH_IDS, type L7PathId } from '../cluster/l7-cluster-types';
import type { ToolVersionQuery } from '../harness/machine';
import type { ScenarioFlag } from '../harness/scenario';
import type { ToolRequirement } from '../harness/tools';
import type { L7TopologyNote } from './l7-report-common';

export const L7_TOOLS: readonly ToolRequirement[] = [
  { bin: 'h2load', debianPackage: 'nghttp2-client' },
  { bin: 'haproxy', debianPackage: 'haproxy' },
  { bin: 'stunnel4', debianPackage: 'stunnel4' },
  { bin: 'taskset', debianPackage: 'util-linux' },
  { bin: 'renice', debianPackage: 'bsdutils' },
  { bin: 'ip', debianPackage: 'iproute2' },
  { bin: 'curl', debianPackage: 'curl' },
  { bin: 'kubectl', debianPackage: 'kubectl' },
];

export const L7_TOOL_VERSIONS: readonly ToolVersionQuery[] = [
  { name: 'h2load', command: 'h2load', args: ['--version'] },
  { name: 'haproxy', command: 'haproxy', args: ['-v'], line: /^HAProxy version/ },
  { name: 'stunnel', command: 'stunnel4', args: ['-version'], line: /^stunnel \d/ },
  { name: 'kubectl', command: 'kubectl', args: ['version', '--client'], line: /^Client Version/ },
];

export const WITHOUT_WAYPOINT_FLAG: ScenarioFlag = {
  name: 'without-waypoint',
  help: 'leave the waypoint path out (no mesh, ztunnel only and the HAProxy paths still run)',
};

/** The paths of a run: all five, or all but the waypoint with --without-waypoint. */
export function l7Paths(flags: ReadonlySet<string>): L7PathId[] {
  return L7_PATH_IDS.filter((id) => id !== 'waypoint' || !flags.has(WITHOUT_WAYPOINT_FLAG.name));
}

export function l7TopologyNote(cores: { readonly proxy?: number; readonly load?: number }, rounds: number, nice: number | undefined): L7TopologyNote {
  const pinning = cores.proxy === undefined
    ? 'no pinning (fewer than 2 cores)'
    : `every proxy process (both ztunnels, the waypoint, HAProxy, both stunnels) pinned to core ${cores.proxy}; server pods and load generators to core ${cores.load}`;
  return { pinning, rounds, ...(nice !== undefined ? { nice } : {}) };
}
