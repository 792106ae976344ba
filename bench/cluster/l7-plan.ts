// Pure decisions of the L7 topology: where HAProxy and the stunnel pair of the TLS variant listen
// and forward, the Deployment patch that places the waypoint on a node, which waypoint pod is the
// one to measure, and reading a `curl -D -` answer (status, size, headers) for the path checks.

import type { Endpoint } from './l4-cluster-types';

/** Clear of ztunnel's 15xxx and the L4 stunnel pair's 16001-16013. */
export const HAPROXY_PLAIN_PORT = 16080;
export const STUNNEL_CLIENT_PORT = 16081;
export const HAPROXY_TLS_PORT = 16082;
/** The stunnel server's first accept port; one per server pod. */
export const STUNNEL_SERVER_BASE = 16083;

export interface HaproxyPlan {
  /** Plain path: client → here (node2) → server pods. */
  readonly plain: { readonly bind: Endpoint; readonly servers: readonly Endpoint[] };
  /**
   * TLS path: client → stunnel client (node1) → mTLS → HAProxy (node2) → mTLS → stunnel server
   * (node2, one accept port per server pod) → server pod.
   */
  readonly tls: {
    readonly stunnelClient: { readonly accept: Endpoint; readonly connect: Endpoint };
    readonly haproxyBind: Endpoint;
    readonly stunnelServer: readonly { readonly accept: Endpoint; readonly connect: Endpoint }[];
  };
}

export function planHaproxy(node1IP: string, node2IP: string, servers: readonly Endpoint[]): HaproxyPlan {
  if (servers.length === 0) throw new RangeError('HAProxy needs at least one server pod');
  return {
    plain: { bind: { host: node2IP, port: HAPROXY_PLAIN_PORT }, servers },
    tls: {
      stunnelClient: { accept: { host: node1IP, port: STUNNEL_CLIENT_PORT }, connect: { host: node2IP, port: HAPROXY_TLS_PORT } },
      haproxyBind: { host: node2IP, port: HAPROXY_TLS_PORT },
      stunnelServer: servers.map((s, i) => ({ accept: { host: node2IP, port: STUNNEL_SERVER_BASE + i }, connect: s })),
    },
  };
}

export function urlOf(e: Endpoint): string {
  return `http://${e.host}:${e.port}/`;
}

/** Merge patch putting a Deployment's pods on `node` (the local cluster's scheduler honours it). */
export function nodeSelectorPatch(node: string): string {
  return JSON.stringify({ spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': node } } } } });
}

export interface PodLike {
  readonly name: string;
  readonly node: string;
  readonly ready: boolean;
  readonly ip: string;
}

/**
 * The waypoint pod to measure once the rollout onto `node` is over: exactly one pod, ready, on
 * that node. Otherwise a line saying what is still being waited for.
 */
export function settledWaypointPod<T extends PodLike>(pods: readonly T[], node: string): T | string {
  if (pods.length === 0) return 'no waypoint pod yet';
  if (pods.length > 1) return `${pods.length} waypoint pods (${pods.map((p) => `${p.name} on ${p.node || '?'}`).join(', ')}): the rollout is not over`;
  const p = pods[0];
  if (p.node !== node) return `waypoint pod ${p.name} is on ${p.node || 'no node'}, waiting for one on ${node}`;
  if (!p.ready || p.ip === '') return `waypoint pod ${p.name} on ${node} is not ready yet`;
  return p;
}

export interface CurlAnswer {
  readonly status: number;
  readonly bytes: number;
  /** Lower-cased header names → last value. */
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * Parses `curl -sS -o /dev/null -D - -w '\n%{http_code} %{size_download}'`: the response headers
 * (the last response's, if curl followed interim ones), then the status and body size line.
 */
export function parseCurlAnswer(text: string): CurlAnswer | undefined {
  const lines = text.replace(/\r/g, '').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const m = last >= 0 ? /^(\d{3}) (\d+)$/.exec(lines[last].trim()) : null;
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(0, last)) {
    if (/^HTTP\/\S+ \d{3}/.test(line)) {
      headers.clear();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), bytes: Number(m[2]), headers };
}
