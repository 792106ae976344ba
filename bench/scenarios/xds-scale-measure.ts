// The measured phases of xds-scale, each over live processes: istiod coming up (spawn → /ready),
// the simulated clients' initial sync, a burst of writes growing the cluster while everyone is
// connected, and the series of single changes timed from t0 to the last client's ACK (a policy
// change is then deleted again and that is timed too, before the next change). CPU and RSS of
// istiod, the client agent and the bench process (API server + driver) per phase.

import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../../pkg/errors/mesh-error';
import { wallClockMs } from '../agents/xds-clients-protocol';
import { startWindow, type SampleTarget } from '../harness/sampler';
import type { ScenarioContext } from '../harness/scenario';
import type { ChangeWriter } from './xds-scale-changes';
import type { ScaleCluster } from './xds-scale-cluster';
import {
  BENCH_PROCESS, initialSyncFigure, phaseUsage, summarizeChanges, type GrowthFigure, type InitialSyncFigure, type PhaseUsage, type SizeFigures,
} from './xds-scale-figures';
import { GROUP_SIZE } from './xds-scale-objects';
import { changeKindInfo, changeSchedule, type RunPlan } from './xds-scale-plan';
import {
  counterDelta, readXdsCounters, rootCertPath, startAgent, startIstiod, waitIstiodReady, type AgentProcess, type IstiodProcess,
} from './xds-scale-processes';
import {
  ChangeTracker, ClientBytes, ConvergeTracker, SyncTracker, type ChangeExpectation, type ChangeResult, type RevertResult,
} from './xds-scale-trackers';

const READY_TIMEOUT_MS = 300_000;
const SYNC_TIMEOUT_MS = 300_000;
const CONVERGE_TIMEOUT_MS = 300_000;
/** After a selector policy reached every client: how long to keep watching for the selected Workloads (debounce max is 1 s). */
const WORKLOAD_GRACE_MS = 3000;

export interface Session {
  readonly istiod: IstiodProcess;
  readonly agent: AgentProcess;
  readonly bytes: ClientBytes;
}

const self: SampleTarget = { name: BENCH_PROCESS, pid: process.pid };
const targets = (s: { istiod: IstiodProcess; agent?: AgentProcess }): SampleTarget[] => [
  { name: 'istiod', pid: s.istiod.proc.pid },
  ...(s.agent ? [{ name: 'xds-clients', pid: s.agent.proc.pid }] : []),
  self,
];

async function readRootsPem(cluster: ScaleCluster): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const r = await cluster.rest.send('GET', rootCertPath());
    const pem = r.status === 200 ? (r.body as { data?: Record<string, string> }).data?.['root-cert.pem'] : undefined;
    if (pem) return pem;
    await sleep(50);
  }
  throw new Error('istiod did not publish ConfigMap istio-ca-root-cert within 10 s');
}

export interface BringUp {
  readonly session: Session;
  readonly istiodStart: SizeFigures['istiodStart'];
  readonly initialSync: InitialSyncFigure;
  readonly usage: readonly PhaseUsage[];
}

/** Starts istiod (timed to /ready), then connects every client at once (timed to the last sync). */
export async function bringUp(ctx: ScenarioContext, cluster: ScaleCluster, plan: RunPlan, kind: 'start' | 'restart', tag: string,
  profileDirs: { readonly istiod: string; readonly agent: string } | undefined, problems: string[]): Promise<BringUp> {
  const pods = cluster.population.livePods();
  ctx.log(`${kind === 'start' ? 'starting' : 'restarting'} istiod with ${pods} pods and ${cluster.population.liveServices()} Services in the API server`);
  const istiod = await startIstiod(ctx, cluster.kubeconfig, `istiod-${tag}`, profileDirs?.istiod);
  const readyWindow = await startWindow(targets({ istiod }));
  const readyAt = await waitIstiodReady(istiod, READY_TIMEOUT_MS);
  const readyUsage = phaseUsage(`istiod ${kind} → /ready`, await readyWindow.stop());
  const readySeconds = Math.round((readyAt - istiod.spawnedAt) / 10) / 100;
  ctx.log(`  istiod ready after ${readySeconds} s`);

  const rootsPem = await readRootsPem(cluster);
  const before = await readXdsCounters(istiod);
  const agent = await startAgent(ctx, istiod, rootsPem, cluster.nodes, tag, profileDirs?.agent);
  const syncWindow = await startWindow(targets({ istiod, agent }));
  const bytes = new ClientBytes(plan.clients);
  agent.events.listen((ev) => bytes.feed(ev));
  const sync = new SyncTracker(plan.clients);
  const stop = agent.events.listen((ev) => sync.feed(ev));
  const synced = await agent.events.waitUntil(() => sync.done(), SYNC_TIMEOUT_MS, agent.proc);
  stop();
  const syncUsage = phaseUsage(`initial sync of ${plan.clients} clients`, await syncWindow.stop());
  const after = await readXdsCounters(istiod);
  const expected = cluster.population.expectedAddresses();
  const figure = initialSyncFigure(sync.result(), expected, counterDelta(before, after));
  if (!synced) problems.push(`${tag}: only ${figure.synced}/${plan.clients} clients synced within ${SYNC_TIMEOUT_MS / 1000} s`);
  if (figure.heldMin !== expected || figure.heldMax !== expected) {
    problems.push(`${tag}: clients held ${figure.heldMin}..${figure.heldMax} Addresses at sync, expected ${expected}`);
  }
  ctx.log(`  ${figure.synced}/${plan.clients} clients synced; the last after ${figure.allClientsMs ?? '–'} ms (${figure.agentBytesPerClient ?? '–'} bytes each)`);
  return { session: { istiod, agent, bytes }, istiodStart: { kind, readySeconds }, initialSync: figure, usage: [readyUsage, syncUsage] };
}

export interface ChangesOutcome {
  readonly changes: readonly ChangeResult[];
  readonly usage: PhaseUsage;
  readonly metricBytesPerClientPerChange: number | null;
  readonly metricAuthorizationBytesPerClient: number;
}

/** `plan.changes` single changes, one at a time: each waits for every client (or the limit), then a quiet gap. */
export async function measureChanges(ctx: ScenarioContext, session: Session, cluster: ScaleCluster, writer: ChangeWriter, plan: RunPlan,
  tag: string, problems: string[]): Promise<ChangesOutcome> {
  const { agent, istiod, bytes } = session;
  const groups = Math.ceil(cluster.population.livePods() / GROUP_SIZE);
  const schedule = changeSchedule(plan.changes);
  await agent.events.pump();
  const before = await readXdsCounters(istiod);
  const window = await startWindow(targets(session));
  const results: ChangeResult[] = [];
  /** Follows one write until every client applied it (or the limit), then the Workloads beside it for a short grace. */
  const follow = async (change: ChangeExpectation, baseline: number[]): Promise<{ tracker: ChangeTracker; ok: boolean }> => {
    const tracker = new ChangeTracker(change, baseline);
    const stop = agent.events.listen((ev) => tracker.feed(ev));
    try {
      const ok = await agent.events.waitUntil(() => tracker.done(), plan.changeTimeoutMs, agent.proc);
      if (ok && !tracker.workloadsDone()) await agent.events.waitUntil(() => tracker.workloadsDone(), WORKLOAD_GRACE_MS, agent.proc);
      return { tracker, ok };
    } finally {
      stop();
    }
  };
  for (const [i, kind] of schedule.entries()) {
    await agent.events.pump();
    const label = changeKindInfo(kind).label;
    // Events are read only while following a change, so these stay the counts from before t0.
    const baseline = bytes.snapshot();
    let change: ChangeExpectation;
    try {
      change = await writer.apply(kind, i, groups);
    } catch (err) {
      problems.push(`${tag} change ${i + 1} (${kind}): ${describeError(err)}`);
      continue;
    }
    const { tracker, ok } = await follow(change, baseline);
    const measured = tracker.result();
    if (!ok) problems.push(`${tag} change ${i + 1} (${label}): only ${measured.clientsDone}/${measured.clients} clients applied it within ${plan.changeTimeoutMs / 1000} s`);
    const wp = measured.workloadPolicies;
    if (ok && wp && wp.allClientsMs === null) {
      problems.push(`${tag} change ${i + 1} (${label}): only ${wp.clientsDone}/${measured.clients} clients had the ${wp.workloads} selected Workloads listing the policy ${WORKLOAD_GRACE_MS / 1000} s after it arrived`);
    }
    ctx.log(`  change ${i + 1}/${schedule.length} ${label}: ${ok ? `all ${measured.clients} clients` : `${measured.clientsDone}/${measured.clients} clients`} after ${measured.allClientsMs?.toFixed(0) ?? '–'} ms (first ${measured.firstClientMs?.toFixed(0) ?? '–'} ms)${wp ? `; selected Workloads listing it: ${wp.clientsDone}/${measured.clients} clients, all after ${wp.allClientsMs?.toFixed(0) ?? '–'} ms` : ''}`);
    let revert: RevertResult | undefined;
    try {
      const undoBaseline = bytes.snapshot();
      const undo = await writer.revert(change);
      if (undo) {
        const r = await follow(undo, undoBaseline);
        const rr = r.tracker.result();
        revert = { ...(rr.detail !== undefined ? { detail: rr.detail } : {}), clientsDone: rr.clientsDone, allClientsMs: rr.allClientsMs,
          ...(rr.workloadPolicies ? { workloadPolicies: rr.workloadPolicies } : {}) };
        if (!r.ok) problems.push(`${tag} change ${i + 1} (${label}): only ${rr.clientsDone}/${rr.clients} clients applied its deletion within ${plan.changeTimeoutMs / 1000} s`);
        else if (rr.workloadPolicies && rr.workloadPolicies.allClientsMs === null) {
          problems.push(`${tag} change ${i + 1} (${label}): only ${rr.workloadPolicies.clientsDone}/${rr.clients} clients had the selected Workloads without the deleted policy ${WORKLOAD_GRACE_MS / 1000} s after its removal`);
        }
        ctx.log(`    deleted again: all clients after ${rr.allClientsMs?.toFixed(0) ?? '–'} ms${rr.workloadPolicies ? `; Workloads no longer listing it after ${rr.workloadPolicies.allClientsMs?.toFixed(0) ?? '–'} ms` : ''}`);
      }
    } catch (err) {
      problems.push(`${tag} change ${i + 1} (${label}): undoing it failed: ${describeError(err)}`);
    }
    results.push(revert ? { ...measured, revert } : measured);
    await sleep(plan.gapMs);
  }
  const usage = phaseUsage(`${results.length} changes`, await window.stop());
  const after = await readXdsCounters(istiod);
  const delta = counterDelta(before, after);
  return {
    changes: results,
    usage,
    metricBytesPerClientPerChange: results.length > 0 ? Math.round(delta.addressBytes / plan.clients / results.length) : null,
    metricAuthorizationBytesPerClient: Math.round(delta.authorizationBytes / plan.clients),
  };
}

export function sizeFigures(up: BringUp, pods: number, services: number, changes: ChangesOutcome): SizeFigures {
  return {
    pods,
    services,
    istiodStart: up.istiodStart,
    initialSync: up.initialSync,
    changes: changes.changes,
    changeSummaries: summarizeChanges(changes.changes),
    metricBytesPerClientPerChange: changes.metricBytesPerClientPerChange,
    metricAuthorizationBytesPerClient: changes.metricAuthorizationBytesPerClient,
    usage: [...up.usage, changes.usage],
  };
}

/** Grows the cluster from `from` to `to` pods while istiod and every client are connected. */
export async function measureGrowth(ctx: ScenarioContext, session: Session, cluster: ScaleCluster, plan: RunPlan, from: number, to: number,
  problems: string[]): Promise<GrowthFigure> {
  ctx.log(`growing from ${from} to ${to} pods with istiod and ${plan.clients} clients connected`);
  await session.agent.events.pump();
  const window = await startWindow(targets(session));
  const started = Date.now();
  const writes = await cluster.population.grow(from, to, ctx.log);
  const lastWrite = wallClockMs();
  const writeSeconds = Math.round((Date.now() - started) / 100) / 10;
  const expected = cluster.population.expectedAddresses();
  // Nothing was pumped during the writes, so the tracker still sees every response they caused.
  const converge = new ConvergeTracker(plan.clients, expected);
  const stop = session.agent.events.listen((ev) => converge.feed(ev));
  const ok = await session.agent.events.waitUntil(() => converge.convergedAt() !== undefined, CONVERGE_TIMEOUT_MS, session.agent.proc);
  stop();
  const usage = phaseUsage(`growth ${from} → ${to} pods`, await window.stop());
  const at = converge.convergedAt();
  const range = converge.heldRange();
  if (!ok) problems.push(`growth: clients held ${range.min}..${range.max} of ${expected} Addresses ${CONVERGE_TIMEOUT_MS / 1000} s after the last write`);
  const convergedAfterLastWriteMs = at === undefined ? null : Math.round(Math.max(0, at - lastWrite));
  ctx.log(`  ${writes} writes in ${writeSeconds} s; every client held all ${expected} Addresses ${convergedAfterLastWriteMs ?? '–'} ms after the last write`);
  return { fromPods: from, toPods: to, writes, writeSeconds, convergedAfterLastWriteMs, heldAtEnd: range, expectedAddresses: expected, usage };
}

/** Stops the agent (and its events file), then istiod; both exit cleanly so profiles are written. */
export async function tearDown(session: Session): Promise<void> {
  await session.agent.proc.stop(15_000);
  await session.agent.events.close();
  await session.istiod.proc.stop(20_000);
}
