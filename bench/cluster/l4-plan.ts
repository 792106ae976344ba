// Pure decisions of the L4 topology: the cluster's name and address block, which ports the stunnel pair listens on and where it
// forwards, which cores everything is pinned to, and reading ztunnel's admin answers (captured
// pods, HBONE workloads, a counter's total) and the local cluster's pid records.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { validateClusterName } from '../../localcluster/runtime/names';
import type { Endpoint, L4Servers } from './l4-cluster-types';
import { SERVER_PORTS, serversAsked, type ServerKind } from './l4-manifests';

/** stunnel client (node1) listens on 16001.., stunnel server (node2) on 16011.. — clear of ztunnel's 15xxx. */
const STUNNEL_CLIENT_BASE = 16000;
const STUNNEL_SERVER_BASE = 16010;
const KIND_OFFSET: Readonly<Record<ServerKind, number>> = { iperf: 1, http: 2, echo: 3 };

export interface StunnelRoute {
  readonly kind: ServerKind;
  /** Where the plain client connects (node1 IP), = the stunnel client's accept address. */
  readonly clientAccept: Endpoint;
  /** The stunnel server's accept address (node2 IP); the stunnel client connects here. */
  readonly serverAccept: Endpoint;
  /** The plain server pod the stunnel server connects to. */
  readonly target: Endpoint;
}

/** One route per server asked for: plain client → node1:1600x → node2:1601x → plain server pod. */
export function planStunnelRoutes(servers: L4Servers, node1IP: string, node2IP: string, plainServerIPs: Readonly<Partial<Record<ServerKind, string>>>): StunnelRoute[] {
  return serversAsked(servers).map((kind) => {
    const ip = plainServerIPs[kind];
    if (ip === undefined) throw new RangeError(`no plain ${kind} server pod IP for the stunnel route`);
    return {
      kind,
      clientAccept: { host: node1IP, port: STUNNEL_CLIENT_BASE + KIND_OFFSET[kind] },
      serverAccept: { host: node2IP, port: STUNNEL_SERVER_BASE + KIND_OFFSET[kind] },
      target: { host: ip, port: SERVER_PORTS[kind] },
    };
  });
}

export interface Cores {
  /** Core of the tunnel processes (ztunnels, stunnels); undefined: no pinning. */
  readonly tunnel?: number;
  /** Core of the server pods and the load generators. */
  readonly load?: number;
}

/** Tunnels on core 0, servers and load on core 1 — only with at least two cores. */
export function planCores(coreCount: number): Cores {
  return coreCount >= 2 ? { tunnel: 0, load: 1 } : {};
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pod IPs ztunnel's `/config_dump` says it captures (`capture.pods`); [] when absent. */
export function capturedPods(dump: unknown): string[] {
  if (!isRecord(dump) || !isRecord(dump.capture) || !Array.isArray(dump.capture.pods)) return [];
  return dump.capture.pods.filter((p): p is string => typeof p === 'string');
}

/** Addresses of the workloads `/config_dump` lists with tunnelProtocol HBONE. */
export function hboneWorkloadIPs(dump: unknown): string[] {
  if (!isRecord(dump) || !Array.isArray(dump.workloads)) return [];
  const out: string[] = [];
  for (const w of dump.workloads) {
    if (!isRecord(w) || w.tunnelProtocol !== 'HBONE' || !Array.isArray(w.addresses)) continue;
    for (const a of w.addresses) if (typeof a === 'string') out.push(a);
  }
  return out;
}

/**
 * The sum of a Prometheus counter over the series whose labels include every `labels` pair
 * (text exposition format). 0 when there is none.
 */
export function sumCounter(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) set.set(l[1], l[2]);
    if (!Object.entries(labels).every(([k, v]) => set.get(k) === v)) continue;
    const v = Number(m[4]);
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

export interface PidRecordLike {
  readonly pid: number;
  readonly netns: string;
  readonly podUID: string;
  readonly container: string;
}

/** The record of a pod's container (by pod UID and, when given, container name). */
export function recordOf<T extends PidRecordLike>(records: readonly (T | null)[], podUID: string, container?: string): T | undefined {
  return records.find((r): r is T => r !== null && r.podUID === podUID && (container === undefined || r.container === container));
}

/** Cluster name and address block from AMBIT_BENCH_CLUSTER / AMBIT_BENCH_BLOCK (default `bench`, 1). */
export function benchClusterIdentity(env: NodeJS.ProcessEnv): { name: string; block: 0 | 1 } {
  const name = env.AMBIT_BENCH_CLUSTER ?? 'bench';
  validateClusterName(name);
  const blockText = env.AMBIT_BENCH_BLOCK ?? '1';
  if (blockText !== '0' && blockText !== '1') throw new MeshError(ErrorCode.InvalidArgument, `AMBIT_BENCH_BLOCK must be 0 or 1, got ${JSON.stringify(blockText)}`);
  return { name, block: blockText === '0' ? 0 : 1 };
}


/**
 * The interface already holding `ip` in `ip -o -4 addr show` output (another cluster on the same
 * address block, started from another state root), or undefined when the address is free.
 */
export function interfaceWithAddress(ipAddrOutput: string, ip: string): string | undefined {
  for (const line of ipAddrOutput.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m && m[2] === ip) return m[1];
  }
  return undefined;
}
