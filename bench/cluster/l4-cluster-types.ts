// The contract between the L4 benchmark scenarios (l4-latency, l4-throughput, l4-cost,
// connect-rate) and the local-cluster topology they share: a two-node local cluster with ambit
// installed, a client pod on node1 and server pods on node2, reachable over three paths that
// cross the same hops (pod → node1 → bridge → node2 → pod):
//   direct  — plain namespace, no tunnel: the physical limit of this machine;
//   ambit   — ambient namespace: captured by node1's ztunnel, HBONE to node2's ztunnel;
//   stunnel — plain namespace, the client dials a stunnel4 client in node1's network namespace
//             that carries it in mutual TLS 1.3 to a stunnel4 server in node2's namespace.

import type { RunResult } from '../harness/processes';
import type { SampleTarget } from '../harness/sampler';

export type L4PathId = 'direct' | 'ambit' | 'stunnel';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The servers a scenario asks for (each runs in a server pod on node2, pinned to the load core). */
export interface L4Servers {
  /** `iperf3 -s`. */
  readonly iperf?: boolean;
  /** The 1 KiB HTTP/1.1 keep-alive backend (`bench/agents/http-backend`). */
  readonly http?: boolean;
  /** The connect-rate echo server (`bench/agents/connect-load --mode server`). */
  readonly echo?: boolean;
}

export interface L4Path {
  readonly id: L4PathId;
  readonly label: string;
  readonly description: string;
  /** Where the load generator (in this path's client pod) connects, per server asked for. */
  readonly iperf?: Endpoint;
  readonly http?: Endpoint;
  readonly echo?: Endpoint;
  /** The tunnel processes whose CPU and memory are charged to the path (none for direct). */
  readonly tunnels: readonly SampleTarget[];
}

export interface L4RunOptions {
  /** Killed (whole process group) when it overstays; the result then says so. */
  readonly timeoutMs: number;
}

export interface L4Cluster {
  readonly paths: readonly L4Path[];
  /** What the topology used (cluster name, block, nodes, cores, pod IPs), for the results' settings. */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * Runs a load tool (h2load, iperf3, node …) inside `path`'s client pod network namespace,
   * pinned to the load core, bounded by `timeoutMs`.
   */
  runInClient(path: L4PathId, command: string, args: readonly string[], opts: L4RunOptions): Promise<RunResult>;
}

export interface L4ClusterOptions {
  readonly servers: L4Servers;
  /** Paths to set up (default: all three). */
  readonly paths?: readonly L4PathId[];
  /** Start the ztunnels under `--cpu-prof`, profiles written here (ambit path only). */
  readonly cpuProfileDir?: string;
}
