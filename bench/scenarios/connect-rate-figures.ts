// The figures of the connect-rate scenario as plain data, and the pure derivations on them: one
// figure per (path, concurrency) from the load client's result, the tunnels' CPU over the window
// and the TCP open counters; CPU per 1000 new connections; the median round; ratios between paths.

import type { ConnectLoadResult, LatencyMs } from '../harness/connect-load-result';
import type { ProcessUsage } from '../harness/sampler';
import { round } from '../harness/stats';
import type { NamedProfile } from '../cluster/ztunnel-control';
import { medianRound, processFigure, type ProcessFigure } from './hbone-loopback-figures';
import type { L4PathInfo } from './l4-figures';
import { appConnectionsSeen, handshakeVerdict, tunnelConnectionsOpened, type HandshakeVerdict, type NetnsOpens } from './connect-rate-tcp-opens';


export interface RateFigure {
  readonly path: string;
  readonly concurrency: number;
  /** Connections completed in the measured window, and the errors there by kind. */
  readonly completed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly connectionsPerSecond: number | null;
  readonly latencyMs: LatencyMs;
  /** Latency minus the direct path's at the same concurrency (p50/p90/p99), when both exist. */
  readonly addedMs?: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };
  /** Every connection of the client run (warm-up and tail included): what the CPU below paid for. */
  readonly runConnections: number;
  /** CPU milliseconds of all tunnel processes per 1000 new connections (null: no tunnel). */
  readonly cpuMsPer1000: number | null;
  readonly processes: readonly (ProcessFigure & { readonly cpuMsPer1000: number | null })[];
  /** TCP opens per network namespace of the tunnel processes over the window. */
  readonly tcpOpens: readonly NetnsOpens[];
  /** New tunnel TCP connections (an upper bound of TLS handshakes) per 1000 app connections. */
  readonly tunnelOpensPer1000: number | null;
  readonly handshakes: HandshakeVerdict;
  /** connections/s of every round, in run order (the figure is the median round). */
  readonly ratePerRound?: readonly (number | null)[];
  readonly error?: string;
}

export interface ConnectRateFigures {
  readonly paths: readonly L4PathInfo[];
  readonly rates: readonly RateFigure[];
  /** ztunnel CPU profiles (`--cpu-prof`). */
  readonly profiles?: readonly NamedProfile[];
}

const NO_LATENCY: LatencyMs = { p50: null, p90: null, p99: null, max: null, mean: null };

/** A figure for a measurement that produced no result. */
export function failedFigure(path: string, concurrency: number, error: string): RateFigure {
  return {
    path, concurrency, completed: 0, errors: {}, connectionsPerSecond: null, latencyMs: NO_LATENCY, runConnections: 0,
    cpuMsPer1000: null, processes: [], tcpOpens: [], tunnelOpensPer1000: null, handshakes: 'no-evidence', error,
  };
}

/** CPU ms per 1000 connections; null without connections. */
export function cpuMsPer1000(cpuSeconds: number, connections: number): number | null {
  return connections > 0 ? round((cpuSeconds * 1e6) / connections, 2) : null;
}

function describeErrors(errors: Readonly<Record<string, number>>): string {
  return Object.entries(errors).map(([k, v]) => `${v} × ${k}`).join(', ');
}

/** Builds the figure of one window from the client's result, the tunnels' usage and TCP opens. */
export function rateFigure(path: string, r: ConnectLoadResult, usage: readonly ProcessUsage[], opens: readonly NetnsOpens[]): RateFigure {
  const runConnections = r.all.completed;
  const attempts = runConnections + Object.values(r.all.errors).reduce((a, b) => a + b, 0);
  const cpu = usage.reduce((s, u) => s + u.cpuSeconds, 0);
  const tunnelOpens = tunnelConnectionsOpened(opens);
  const notes: string[] = [];
  if (r.errorTotal > 0) notes.push(`errors in the measured window: ${describeErrors(r.errors)}`);
  if (r.hardStopped) notes.push('the client hit its hard stop');
  const gone = usage.filter((u) => u.exited).map((u) => u.name);
  if (gone.length > 0) notes.push(`process(es) exited during the measurement: ${gone.join(', ')}`);
  const seen = appConnectionsSeen(opens);
  if (seen !== null && attempts > 0 && seen < attempts * 0.5) {
    notes.push(`the tunnel processes saw ${seen} TCP opens for ${attempts} connections: was the traffic carried by them?`);
  }
  return {
    path,
    concurrency: r.concurrency,
    completed: r.completed,
    errors: r.errors,
    connectionsPerSecond: r.connectionsPerSecond,
    latencyMs: r.latencyMs,
    runConnections,
    cpuMsPer1000: usage.length > 0 ? cpuMsPer1000(cpu, runConnections) : null,
    processes: usage.map((u) => ({ ...processFigure(u), cpuMsPer1000: cpuMsPer1000(u.cpuSeconds, runConnections) })),
    tcpOpens: opens,
    tunnelOpensPer1000: tunnelOpens !== null && attempts > 0 ? round((tunnelOpens / attempts) * 1000, 2) : null,
    handshakes: usage.length > 0 ? handshakeVerdict(tunnelOpens, attempts) : 'no-evidence',
    ...(notes.length > 0 ? { error: notes.join('; ') } : {}),
  };
}

/** The median round by connections/s, carrying every round's rate. */
export function pickRate(rounds: readonly RateFigure[]): RateFigure | undefined {
  const chosen = medianRound(rounds, (r) => (r.completed > 0 ? r.connectionsPerSecond : null));
  return chosen && { ...chosen, ratePerRound: rounds.map((r) => r.connectionsPerSecond) };
}

/** Adds `addedMs` (latency over the direct path at the same concurrency) to every figure. */
export function withAddedLatency(figures: readonly RateFigure[], directId = 'direct'): RateFigure[] {
  return figures.map((f) => {
    const direct = figures.find((d) => d.path === directId && d.concurrency === f.concurrency && d.completed > 0);
    if (!direct || f.path === directId || f.completed === 0) return f;
    const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(a - b, 3));
    return { ...f, addedMs: { p50: diff(f.latencyMs.p50, direct.latencyMs.p50), p90: diff(f.latencyMs.p90, direct.latencyMs.p90), p99: diff(f.latencyMs.p99, direct.latencyMs.p99) } };
  });
}

export interface Ratio {
  readonly concurrency: number;
  readonly what: string;
  readonly value: number | null;
}

/** Path `a` against path `b` at every concurrency: rate, p50 latency, CPU per 1000 connections. */
export function ratios(figures: ConnectRateFigures, a: string, b: string): Ratio[] {
  const div = (x: number | null | undefined, y: number | null | undefined): number | null => (x == null || y == null || y === 0 ? null : round(x / y, 2));
  const at = (path: string, c: number): RateFigure | undefined => figures.rates.find((f) => f.path === path && f.concurrency === c && f.completed > 0);
  const out: Ratio[] = [];
  for (const c of [...new Set(figures.rates.map((f) => f.concurrency))].sort((x, y) => x - y)) {
    out.push({ concurrency: c, what: 'connections/s', value: div(at(a, c)?.connectionsPerSecond, at(b, c)?.connectionsPerSecond) });
    out.push({ concurrency: c, what: 'p50 latency', value: div(at(a, c)?.latencyMs.p50, at(b, c)?.latencyMs.p50) });
    out.push({ concurrency: c, what: 'CPU per 1000 connections', value: div(at(a, c)?.cpuMsPer1000, at(b, c)?.cpuMsPer1000) });
  }
  return out;
}
