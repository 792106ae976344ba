// The contract between the L7 benchmark scenarios (l7-latency, l7-rps) and the local-cluster
// topology they share: the two-node cluster of the L4 scenarios (client pods on node1, server pods
// on node2, the 1 KiB HTTP/1.1 backend), reached over up to five paths that cross the same hops:
//   direct      — plain namespace, client → server pod IP: no proxy at all;
//   ztunnel     — ambient namespace, client → Service VIP: node1's ztunnel, HBONE, node2's ztunnel;
//   waypoint    — ambient namespace with a waypoint: node1's ztunnel → waypoint (node2) → node2's
//                 ztunnel → pod, an HTTPRoute on the Service so the L7 routing runs;
//   haproxy     — plain namespace, client → HAProxy (`mode http`) in node2's netns → server pod;
//   haproxy-tls — the same HAProxy hop with TLS on both sides, like the waypoint's: a stunnel4
//                 client in node1's netns → mTLS → HAProxy → mTLS → stunnel4 server → server pod.

import type { RunResult } from '../harness/processes';
import type { SampleTarget } from '../harness/sampler';

export const L7_PATH_IDS = ['direct', 'ztunnel', 'waypoint', 'haproxy', 'haproxy-tls'] as const;
export type L7PathId = (typeof L7_PATH_IDS)[number];

export interface L7Path {
  readonly id: L7PathId;
  readonly label: string;
  readonly description: string;
  /** What the load generator in this path's client pod asks for (`http://host:port/`). */
  readonly url: string;
  /** The proxy processes charged to the path (none for direct), sampled for CPU and memory. */
  readonly processes: readonly SampleTarget[];
}

export interface L7RunOptions {
  /** Killed (whole process group) when it overstays; the result then says so. */
  readonly timeoutMs: number;
}

export interface L7Cluster {
  readonly paths: readonly L7Path[];
  /** What the topology used (cluster, block, nodes, cores, pods, proxies), for the results' settings. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The cores: proxies (ztunnels, waypoint, HAProxy, stunnels) and load (servers, h2load). */
  readonly cores: { readonly proxy?: number; readonly load?: number };
  /** Runs a load tool inside `path`'s client pod network namespace, pinned to the load core. */
  runInClient(path: L7PathId, command: string, args: readonly string[], opts: L7RunOptions): Promise<RunResult>;
}

export interface L7ClusterOptions {
  /** Paths to set up, in this order (default: all five). */
  readonly paths?: readonly L7PathId[];
}
