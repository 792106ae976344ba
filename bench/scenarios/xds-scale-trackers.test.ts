import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientEvent } from '../agents/xds-clients-protocol';
import { ChangeKind } from './xds-scale-plan';
import { ChangeTracker, ClientBytes, ConvergeTracker, SyncTracker } from './xds-scale-trackers';

const applied = (c: number, t: number, extra: Partial<Extract<ClientEvent, { e: 'applied' }>> = {}): ClientEvent => ({
  e: 'applied', c, t, type: 'Address', n: 0, r: 0, held: 0, bytes: 0, ...extra,
});

test('a change is done when every client applied all its names at or after t0', () => {
  const tracker = new ChangeTracker({ id: 0, kind: ChangeKind.ServiceAdded, t0: 1000, updated: ['svc', 'w1'], removed: [] }, [500, 700]);
  tracker.feed(applied(0, 990, { names: ['svc', 'w1'], bytes: 600 })); // before t0: not this change
  tracker.feed(applied(0, 1100, { names: ['svc'], bytes: 800 }));
  assert.equal(tracker.done(), false);
  tracker.feed(applied(0, 1150, { names: ['w1'], bytes: 900 }));
  tracker.feed(applied(1, 1120, { type: 'Authorization', names: ['svc', 'w1'], bytes: 750 })); // other type
  assert.equal(tracker.done(), false);
  tracker.feed(applied(1, 1300, { names: ['w1', 'svc', 'other'], bytes: 1000 }));
  assert.equal(tracker.done(), true);
  const r = tracker.result();
  assert.equal(r.allClientsMs, 300);
  assert.equal(r.firstClientMs, 150);
  assert.deepEqual(r.perClientMs, [150, 300]);
  assert.equal(r.bytesPerClient, (400 + 300) / 2);
  assert.equal(r.responsesPerClient, 1.5);
});

test('a removal counts only when it arrives as a removal, and an unfinished change has no all-clients time', () => {
  const tracker = new ChangeTracker({ id: 3, kind: ChangeKind.PodDeleted, t0: 0, updated: [], removed: ['w9'] }, [0, 0]);
  tracker.feed(applied(0, 5, { names: ['w9'] }));
  tracker.feed(applied(1, 7, { removed: ['w9'], bytes: 40 }));
  const r = tracker.result();
  assert.equal(tracker.done(), false);
  assert.equal(r.clientsDone, 1);
  assert.equal(r.allClientsMs, null);
  assert.equal(r.firstClientMs, 7);
});

test('initial sync: from the agent start to the last client, with what each held', () => {
  const sync = new SyncTracker(2);
  sync.feed({ e: 'start', t: 100, clients: 2 });
  sync.feed({ e: 'synced', c: 1, t: 400, held: 11, bytes: 2000 });
  assert.equal(sync.done(), false);
  assert.equal(sync.result().allMs, null);
  sync.feed({ e: 'nack', c: 0, t: 410, type: 't', message: 'bad' });
  sync.feed({ e: 'synced', c: 0, t: 600, held: 11, bytes: 2100 });
  const r = sync.result();
  assert.equal(sync.done(), true);
  assert.equal(r.allMs, 500);
  assert.deepEqual(r.perClientMs, [500, 300]);
  assert.deepEqual(r.held, [11, 11]);
  assert.equal(r.nacks, 1);
});

test('convergence: the time the last client reached the expected count', () => {
  const conv = new ConvergeTracker(2, 10);
  conv.feed(applied(0, 1, { held: 10 }));
  conv.feed(applied(1, 2, { held: 9 }));
  assert.equal(conv.convergedAt(), undefined);
  assert.deepEqual(conv.heldRange(), { min: 9, max: 10 });
  conv.feed(applied(1, 5, { held: 10 }));
  assert.equal(conv.convergedAt(), 5);
});

test('client bytes keep the largest cumulative count per client', () => {
  const b = new ClientBytes(2);
  b.feed(applied(1, 1, { bytes: 50 }));
  b.feed({ e: 'synced', c: 0, t: 2, held: 0, bytes: 70 });
  b.feed(applied(1, 3, { bytes: 40 }));
  assert.deepEqual(b.snapshot(), [70, 50]);
});

test('a policy change is done when every client applied the Authorization; the selected Workloads are reported beside it', () => {
  const tracker = new ChangeTracker({
    id: 4, kind: ChangeKind.SelectorPolicyApplied, t0: 1000, type: 'Authorization', updated: ['ns/p'], removed: [],
    workloadPolicies: { workloads: ['w1', 'w2'], policy: 'ns/p', listed: true }, detail: 'ns/p: 2 pods',
  }, [0, 0]);
  tracker.feed(applied(0, 1100, { names: ['ns/p'] })); // an Address named like the policy: not it
  tracker.feed(applied(0, 1110, { type: 'Authorization', names: ['ns/p'], bytes: 90 }));
  tracker.feed(applied(1, 1120, { type: 'Authorization', names: ['ns/p'], bytes: 95 }));
  assert.equal(tracker.done(), true);
  assert.equal(tracker.workloadsDone(), false);
  tracker.feed(applied(0, 1130, { names: ['w1', 'w2'], policies: { w1: ['ns/p'], w2: ['ns/p'] } }));
  tracker.feed(applied(1, 1140, { names: ['w1', 'w2'], policies: { w1: ['ns/p'], w2: [] } })); // w2 does not list it yet
  assert.equal(tracker.workloadsDone(), false);
  tracker.feed(applied(1, 1150, { names: ['w2'], policies: { w2: ['ns/other', 'ns/p'] } }));
  assert.equal(tracker.workloadsDone(), true);
  const r = tracker.result();
  assert.equal(r.allClientsMs, 120);
  assert.equal(r.firstClientMs, 110);
  assert.equal(r.bytesPerClient, 92.5);
  assert.equal(r.detail, 'ns/p: 2 pods');
  assert.deepEqual(r.workloadPolicies, { workloads: 2, listed: true, clientsDone: 2, allClientsMs: 150 });
});

test('a policy deletion is done on the removal; Workloads count once they no longer list it', () => {
  const tracker = new ChangeTracker({
    id: 4, kind: ChangeKind.SelectorPolicyApplied, t0: 0, type: 'Authorization', updated: [], removed: ['ns/p'],
    workloadPolicies: { workloads: ['w1'], policy: 'ns/p', listed: false },
  }, [0]);
  tracker.feed(applied(0, 5, { names: ['w1'], policies: { w1: ['ns/p'] } }));
  tracker.feed(applied(0, 6, { type: 'Authorization', removed: ['ns/p'] }));
  assert.equal(tracker.done(), true);
  assert.equal(tracker.result().workloadPolicies?.allClientsMs, null);
  tracker.feed(applied(0, 9, { names: ['w1'], policies: { w1: [] } }));
  assert.equal(tracker.result().workloadPolicies?.allClientsMs, 9);
  // A namespace-wide policy expects no Workloads at all.
  const ns = new ChangeTracker({ id: 5, kind: ChangeKind.PolicyApplied, t0: 0, type: 'Authorization', updated: ['ns/q'], removed: [] }, [0]);
  assert.equal(ns.workloadsDone(), true);
  assert.equal(ns.result().workloadPolicies, undefined);
});
