import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goalCheck, initialSyncFigure, phaseUsage, summarizeChanges, type SizeFigures, type XdsScaleFigures } from './xds-scale-figures';
import { CHANGE_KINDS, ChangeKind, runPlan } from './xds-scale-plan';
import { renderXdsScaleMarkdown, xdsScalePanels } from './xds-scale-report';
import type { ChangeResult } from './xds-scale-trackers';

const change = (id: number, kind: ChangeKind, allClientsMs: number | null, bytesPerClient = 300): ChangeResult => ({
  id, kind, clients: 20, clientsDone: allClientsMs === null ? 19 : 20, allClientsMs, firstClientMs: 100, perClientMs: [], bytesPerClient, responsesPerClient: 1,
});

function size(pods: number, changes: ChangeResult[]): SizeFigures {
  return {
    pods,
    services: pods / 10,
    istiodStart: { kind: pods > 1000 ? 'restart' : 'start', readySeconds: 2.5 },
    initialSync: initialSyncFigure(
      { clients: 20, synced: 20, perClientMs: [800, 900], allMs: 950, held: [pods + pods / 10], bytes: [150_000], nacks: 0 },
      pods + pods / 10,
      { addressBytes: 3_000_000, authorizationBytes: 2000, pushes: 40 },
    ),
    changes,
    changeSummaries: summarizeChanges(changes),
    metricBytesPerClientPerChange: 310,
    usage: [phaseUsage('istiod start → /ready', {
      wallSeconds: 2, processes: [{ name: 'istiod', cpuSeconds: 1.5, userSeconds: 1.4, systemSeconds: 0.1, rssMaxKb: 200 * 1024, rssMeanKb: 150 * 1024, exited: false }],
    })],
  };
}

function figures(large: ChangeResult[]): XdsScaleFigures {
  const sizes = [size(1000, [change(0, ChangeKind.PodAdded, 120), change(1, ChangeKind.PodDeleted, 130)]), size(10_000, large)];
  return {
    plan: runPlan(false),
    setup: [{ what: '1000 pods', objects: 1100, writes: 2100, seconds: 5 }],
    sizes,
    notMeasurable: CHANGE_KINDS.filter((k) => k.notMeasurable).map((k) => ({ kind: k.kind, label: k.label, why: k.notMeasurable as string })),
    goal: goalCheck(sizes),
  };
}

test('summaries per kind and overall use nearest-rank percentiles over completed changes', () => {
  const s = summarizeChanges([change(0, ChangeKind.PodAdded, 100), change(1, ChangeKind.PodAdded, 300), change(2, ChangeKind.PodDeleted, null)]);
  assert.deepEqual(s.map((x) => x.kind), [ChangeKind.PodAdded, ChangeKind.PodDeleted, 'all']);
  assert.equal(s[0]?.allClients.p50, 100);
  assert.equal(s[0]?.allClients.p99, 300);
  assert.equal(s[1]?.timedOut, 1);
  assert.equal(s[1]?.allClients.p99, null);
  assert.equal(s[2]?.changes, 3);
});

test('the goal is judged at the largest size; a timed-out change fails it', () => {
  assert.deepEqual(goalCheck(figures([change(0, ChangeKind.PodAdded, 400), change(1, ChangeKind.ServiceAdded, 900)]).sizes),
    { p99LimitMs: 1000, pods: 10_000, p99Ms: 900, met: true });
  assert.equal(goalCheck(figures([change(0, ChangeKind.PodAdded, 1500)]).sizes).met, false);
  assert.equal(goalCheck(figures([change(0, ChangeKind.PodAdded, 200), change(1, ChangeKind.PodAdded, null)]).sizes).met, false);
  assert.equal(goalCheck(figures([]).sizes).met, null);
});

test('the report states the verdict and the tables; with every kind measurable there is no "not measurable" section', () => {
  const md = renderXdsScaleMarkdown(figures([change(0, ChangeKind.PodAdded, 1500)]));
  assert.match(md, /p99 ≤ 1000 ms at the largest size \(10,000 pods\): \*\*not met\*\* — p99 1500 ms/);
  assert.match(md, /\| 1,000 pods \| pod added \| 1 \| 0 \| 120 \| 120 \| 120 \|/);
  assert.match(md, /\| 10,000 pods \| restart \| 2.50 \| 20\/20 \| 950 \|/);
  assert.doesNotMatch(md, /Not measurable yet|not measurable yet/);
  assert.match(md, /\| AuthorizationPolicy applied \(selector\) \| t0 just before the POST of an AuthorizationPolicy selecting one group/);
  assert.match(md, /\| 1,000 pods \| istiod start → \/ready \| 2.0 \| 1.50 \| 75 \| 200 \| 150 \|/);
  assert.doesNotMatch(md, /undefined|NaN/);
});

test('chart panels have one series per size and a value per change kind', () => {
  const panels = xdsScalePanels(figures([change(0, ChangeKind.PodAdded, 700)]));
  const p99 = panels[0];
  assert.deepEqual(p99?.series, ['1,000 pods', '10,000 pods']);
  assert.deepEqual(p99?.groups.find((g) => g.label === 'pod added')?.values, [120, 700]);
  assert.deepEqual(p99?.groups.find((g) => g.label === 'pod deleted')?.values, [130, null]);
});

test('policy changes: their change → ACK row, the selected Workloads beside them and their deletion', () => {
  const ns: ChangeResult = {
    ...change(2, ChangeKind.PolicyApplied, 140), detail: 'scale-3/bench-ns-policy-0: every workload of scale-3',
    revert: { clientsDone: 20, allClientsMs: 125 },
  };
  const sel: ChangeResult = {
    ...change(3, ChangeKind.SelectorPolicyApplied, 160),
    workloadPolicies: { workloads: 10, listed: true, clientsDone: 20, allClientsMs: 170 },
    revert: { clientsDone: 20, allClientsMs: 130, workloadPolicies: { workloads: 10, listed: false, clientsDone: 20, allClientsMs: 135 } },
  };
  const slow: ChangeResult = {
    ...change(8, ChangeKind.SelectorPolicyApplied, 180),
    workloadPolicies: { workloads: 10, listed: true, clientsDone: 19, allClientsMs: null },
    revert: { clientsDone: 19, allClientsMs: null, workloadPolicies: { workloads: 10, listed: false, clientsDone: 0, allClientsMs: null } },
  };
  const f = figures([change(0, ChangeKind.PodAdded, 110), ns, sel, slow]);
  const md = renderXdsScaleMarkdown(f);
  assert.match(md, /\| 10,000 pods \| AuthorizationPolicy applied \(namespace\) \| 1 \| 0 \| 140 \| 140 \| 140 \|/);
  assert.match(md, /\| 10,000 pods \| AuthorizationPolicy applied \(selector\) \| 2 \| 0 \| 160 \| 180 \| 180 \|/);
  assert.match(md, /## AuthorizationPolicy changes: Workloads and deletion/);
  assert.match(md, /\| 10,000 pods \| AuthorizationPolicy applied \(namespace\) \| 1 \| none expected \| 1\/1 changes, 125 \/ 125 ms \| none expected \|/);
  assert.match(md, /\| 10,000 pods \| AuthorizationPolicy applied \(selector\) \| 2 \| 1\/2 changes, 170 \/ 170 ms \| 1\/2 changes, 130 \/ 130 ms \| 1\/2 changes, 135 \/ 135 ms \|/);
  assert.doesNotMatch(md, /undefined|NaN/);
  const p99 = xdsScalePanels(f)[0];
  assert.deepEqual(p99?.groups.find((g) => g.label === 'AuthorizationPolicy applied (selector)')?.values, [null, 180]);
});
