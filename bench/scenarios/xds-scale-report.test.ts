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

test('the report states the verdict, the tables and what cannot be measured yet', () => {
  const md = renderXdsScaleMarkdown(figures([change(0, ChangeKind.PodAdded, 1500)]));
  assert.match(md, /p99 ≤ 1000 ms at the largest size \(10,000 pods\): \*\*not met\*\* — p99 1500 ms/);
  assert.match(md, /\| 1,000 pods \| pod added \| 1 \| 0 \| 120 \| 120 \| 120 \|/);
  assert.match(md, /\| 10,000 pods \| restart \| 2.50 \| 20\/20 \| 950 \|/);
  assert.match(md, /AuthorizationPolicy applied\*\*: istiod has no AuthorizationPolicy source yet/);
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
