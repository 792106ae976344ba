// The xds-scale figures (pure): their JSON shape, the per-phase CPU/RSS of each process, the
// change-to-ACK summaries per change kind (nearest-rank p50/p99 over changes), bytes per client
// from istiod's counters, and the check against the goal (p99 ≤ 1 s at the largest size).

import type { WindowUsage } from '../harness/sampler';
import { summarize } from '../harness/stats';
import type { FileTime } from './xds-scale-profile';
import type { ProfileSummary } from '../harness/cpu-profile';
import { changeKindInfo, type ChangeKind, type RunPlan } from './xds-scale-plan';
import type { ChangeResult, SyncResult } from './xds-scale-trackers';

export const GOAL_P99_MS = 1000;
/** The sampled name of the bench process itself (it hosts the API server). */
export const BENCH_PROCESS = 'bench (API server + driver)';

export interface ProcessFigure {
  readonly name: string;
  readonly cpuSeconds: number;
  /** CPU seconds per wall second × 100 (100 = one core busy). */
  readonly cpuPercent: number;
  readonly rssMaxMb: number;
  readonly rssMeanMb: number;
}

export interface PhaseUsage {
  readonly phase: string;
  readonly wallSeconds: number;
  readonly processes: readonly ProcessFigure[];
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export function phaseUsage(phase: string, usage: WindowUsage): PhaseUsage {
  const wall = usage.wallSeconds;
  return {
    phase,
    wallSeconds: round(wall, 2),
    processes: usage.processes.map((p) => ({
      name: p.name,
      cpuSeconds: round(p.cpuSeconds, 2),
      cpuPercent: wall > 0 ? round((p.cpuSeconds / wall) * 100, 1) : 0,
      rssMaxMb: round(p.rssMaxKb / 1024, 1),
      rssMeanMb: round(p.rssMeanKb / 1024, 1),
    })),
  };
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export function summarizeMs(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null, mean: null };
  const s = summarize(values);
  return { count: s.count, p50: round(s.p50, 1), p99: round(s.p99, 1), max: round(s.max, 1), mean: round(s.mean, 1) };
}

export interface ChangeSummary {
  /** A change kind, or `all`. */
  readonly kind: ChangeKind | 'all';
  readonly label: string;
  readonly changes: number;
  /** Changes some client had not applied within the timeout. */
  readonly timedOut: number;
  /** t0 → every client applied it (completed changes). */
  readonly allClients: LatencySummary;
  /** t0 → the first client applied it. */
  readonly firstClient: LatencySummary;
  readonly bytesPerClient: number | null;
}

function summaryOf(kind: ChangeKind | 'all', label: string, results: readonly ChangeResult[]): ChangeSummary {
  const complete = results.filter((r) => r.allClientsMs !== null);
  const bytes = complete.map((r) => r.bytesPerClient).filter((b): b is number => b !== null);
  return {
    kind,
    label,
    changes: results.length,
    timedOut: results.length - complete.length,
    allClients: summarizeMs(complete.map((r) => r.allClientsMs as number)),
    firstClient: summarizeMs(results.map((r) => r.firstClientMs).filter((v): v is number => v !== null)),
    bytesPerClient: bytes.length === 0 ? null : round(bytes.reduce((a, b) => a + b, 0) / bytes.length, 0),
  };
}

/** One summary per kind measured (in first-seen order), then `all`. */
export function summarizeChanges(results: readonly ChangeResult[]): ChangeSummary[] {
  const kinds = [...new Set(results.map((r) => r.kind))];
  return [
    ...kinds.map((k) => summaryOf(k, changeKindInfo(k).label, results.filter((r) => r.kind === k))),
    summaryOf('all', 'all changes', results),
  ];
}

/** How one kind of policy change went, beyond its change → ACK figures: the Workloads beside it and its deletion. */
export interface PolicySummary {
  readonly kind: ChangeKind;
  readonly label: string;
  readonly changes: number;
  /** Selector policies: changes where every client got the selected Workloads listing the policy, and when. */
  readonly workloadsListed: WorkloadSummary | null;
  /** The policy deleted again: t0 before the DELETE → every client applied the removal. */
  readonly deleted: { readonly complete: number; readonly allClients: LatencySummary };
  /** Selector policies: the selected Workloads no longer listing it after the deletion. */
  readonly workloadsUnlisted: WorkloadSummary | null;
}

export interface WorkloadSummary {
  readonly changes: number;
  readonly complete: number;
  readonly allClients: LatencySummary;
}

function workloadSummary(values: readonly ({ readonly allClientsMs: number | null } | undefined)[]): WorkloadSummary | null {
  const seen = values.filter((v): v is { readonly allClientsMs: number | null } => v !== undefined);
  if (seen.length === 0) return null;
  const times = seen.map((v) => v.allClientsMs).filter((v): v is number => v !== null);
  return { changes: seen.length, complete: times.length, allClients: summarizeMs(times) };
}

/** One summary per policy kind measured (changes that were reverted), in first-seen order. */
export function summarizePolicyChanges(results: readonly ChangeResult[]): PolicySummary[] {
  const reverted = results.filter((r) => r.revert !== undefined);
  return [...new Set(reverted.map((r) => r.kind))].map((kind) => {
    const of = reverted.filter((r) => r.kind === kind);
    const deleted = of.map((r) => r.revert?.allClientsMs).filter((v): v is number => v !== null && v !== undefined);
    return {
      kind,
      label: changeKindInfo(kind).label,
      changes: of.length,
      workloadsListed: workloadSummary(of.map((r) => r.workloadPolicies)),
      deleted: { complete: deleted.length, allClients: summarizeMs(deleted) },
      workloadsUnlisted: workloadSummary(of.map((r) => r.revert?.workloadPolicies)),
    };
  });
}

/** Counter deltas read from istiod's /metrics around a phase. */
export interface MetricDelta {
  readonly addressBytes: number;
  readonly authorizationBytes: number;
  readonly pushes: number;
}

export interface InitialSyncFigure {
  readonly allClientsMs: number | null;
  readonly perClient: LatencySummary;
  readonly clients: number;
  readonly synced: number;
  /** Addresses istiod should serve (running pods + Services) and what the clients held at sync. */
  readonly expectedAddresses: number;
  readonly heldMin: number | null;
  readonly heldMax: number | null;
  /** Mean bytes per client as the agent counted them (all types). */
  readonly agentBytesPerClient: number | null;
  /** istiod's pilot_xds_sent_bytes_total delta over the phase ÷ clients, by type. */
  readonly metricBytesPerClient: { readonly address: number; readonly authorization: number } | null;
  readonly nacks: number;
}

export function initialSyncFigure(sync: SyncResult, expectedAddresses: number, metrics: MetricDelta | undefined): InitialSyncFigure {
  const mean = (v: readonly number[]): number | null => (v.length === 0 ? null : round(v.reduce((a, b) => a + b, 0) / v.length, 0));
  return {
    allClientsMs: sync.allMs === null ? null : round(sync.allMs, 1),
    perClient: summarizeMs(sync.perClientMs),
    clients: sync.clients,
    synced: sync.synced,
    expectedAddresses,
    heldMin: sync.held.length > 0 ? Math.min(...sync.held) : null,
    heldMax: sync.held.length > 0 ? Math.max(...sync.held) : null,
    agentBytesPerClient: mean(sync.bytes),
    metricBytesPerClient: metrics ? { address: round(metrics.addressBytes / sync.clients, 0), authorization: round(metrics.authorizationBytes / sync.clients, 0) } : null,
    nacks: sync.nacks,
  };
}

export interface SizeFigures {
  readonly pods: number;
  readonly services: number;
  /** How istiod got to serve this size: a first start, or a restart on the full set. */
  readonly istiodStart: { readonly kind: 'start' | 'restart'; readonly readySeconds: number | null; readonly addressesAtReady?: number };
  readonly initialSync: InitialSyncFigure;
  readonly changes: readonly ChangeResult[];
  readonly changeSummaries: readonly ChangeSummary[];
  /** istiod's Address bytes over the change phase ÷ clients ÷ changes (policy deletions included). */
  readonly metricBytesPerClientPerChange: number | null;
  /** istiod's Authorization bytes over the change phase ÷ clients (policies applied and deleted). */
  readonly metricAuthorizationBytesPerClient?: number;
  readonly usage: readonly PhaseUsage[];
}

export interface SetupFigure {
  readonly what: string;
  readonly objects: number;
  readonly writes: number;
  readonly seconds: number;
}

export interface GrowthFigure {
  readonly fromPods: number;
  readonly toPods: number;
  readonly writes: number;
  readonly writeSeconds: number;
  /** The last write → every client held the full set; null when they never did within the limit. */
  readonly convergedAfterLastWriteMs: number | null;
  readonly heldAtEnd: { readonly min: number; readonly max: number };
  readonly expectedAddresses: number;
  readonly usage: PhaseUsage;
}

export interface ProfileFigure {
  readonly process: string;
  readonly summary: ProfileSummary;
  readonly byFile: readonly FileTime[];
}

export interface XdsScaleFigures {
  readonly plan: RunPlan;
  readonly setup: readonly SetupFigure[];
  readonly sizes: readonly SizeFigures[];
  readonly growth?: GrowthFigure;
  readonly notMeasurable: readonly { readonly kind: ChangeKind; readonly label: string; readonly why: string }[];
  readonly goal: GoalCheck;
  readonly profiles?: readonly ProfileFigure[];
}

export interface GoalCheck {
  readonly p99LimitMs: number;
  readonly pods: number | null;
  readonly p99Ms: number | null;
  /** null: not measured (no complete change at that size). */
  readonly met: boolean | null;
}

/** The goal: change-to-ACK p99 (all changes, every client) ≤ 1 s at the largest size measured. */
export function goalCheck(sizes: readonly SizeFigures[]): GoalCheck {
  const largest = [...sizes].sort((a, b) => b.pods - a.pods)[0];
  const all = largest?.changeSummaries.find((s) => s.kind === 'all');
  const p99 = all?.allClients.p99 ?? null;
  const anyTimedOut = (all?.timedOut ?? 0) > 0;
  return {
    p99LimitMs: GOAL_P99_MS,
    pods: largest?.pods ?? null,
    p99Ms: p99,
    met: p99 === null ? (anyTimedOut ? false : null) : p99 <= GOAL_P99_MS && !anyTimedOut,
  };
}
