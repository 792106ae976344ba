// Test-only figures for the L7 scenario tests: latency and cost figures per path in the shapes the
// scenarios produce, and the five paths' descriptions.

import type { LatencyFigure } from './hbone-loopback-figures';
import type { CostFigure, CostProcess } from './l4-figures';
import type { L7PathInfo } from './l7-figures';

export const PATHS: readonly L7PathInfo[] = [
  { id: 'direct', label: 'no mesh', description: 'pod to pod', processes: [] },
  { id: 'ztunnel', label: 'ztunnel only', description: 'two ztunnels', processes: ['ztunnel-node1', 'ztunnel-node2'] },
  { id: 'waypoint', label: 'waypoint', description: 'ztunnel, waypoint, ztunnel', processes: ['ztunnel-node1', 'waypoint', 'ztunnel-node2'] },
  { id: 'haproxy', label: 'HAProxy', description: 'one HAProxy', processes: ['haproxy'] },
  { id: 'haproxy-tls', label: 'HAProxy + mTLS', description: 'stunnel, HAProxy, stunnel', processes: ['stunnel-client', 'haproxy', 'stunnel-server'] },
];

export function lat(path: string, ms: readonly [number, number, number], added?: readonly [number, number, number], error?: string): LatencyFigure {
  const [p50, p90, p99] = ms;
  return {
    path, requests: error ? 0 : 10_000, failed: 0, achievedRps: 1000,
    latencyMs: { p50, p90, p99, p999: p99, max: p99, mean: p50 },
    vcpuPer1000Rps: path === 'direct' ? null : 0.2,
    processes: [], backend: [], p99MsPerRound: [p99],
    ...(added ? { addedMs: { p50: added[0], p90: added[1], p99: added[2] } } : {}),
    ...(error ? { error } : {}),
  };
}

export function proc(name: string, vcpuPer1000Rps: number, rssMaxMb: number, vcpu = 0.2): CostProcess {
  return { name, vcpu, vcpuPer1000Rps, systemShare: 0.3, rssMaxMb, rssMeanMb: rssMaxMb - 5 };
}

export function cost(path: string, level: string, achievedRps: number, processes: readonly CostProcess[], error?: string): CostFigure {
  return {
    path, level, targetRps: level === 'saturation' ? null : 1000, connections: level === 'saturation' ? 16 : 4,
    requests: error ? 0 : achievedRps * 10, failed: 0, achievedRps: error ? null : achievedRps,
    latencyMs: { p50: 0.5, p99: 2 }, processes, achievedRpsPerRound: [achievedRps, achievedRps + 100],
    ...(error ? { error } : {}),
  };
}
