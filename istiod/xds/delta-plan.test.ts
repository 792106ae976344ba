// Unit tests for the pure delta decisions: subscriptions (wildcard, explicit, aliases), what is
// sent given what a client holds, removals, NACKed versions not resent, size splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acknowledge, applySubscription, forgetUnwanted, NO_SUBSCRIPTION, planDelta, reject, REJECTED_REMOVAL, resourceWireSize, type Subscription,
} from './delta-plan';
import type { CachedResource } from './resource-cache';

const res = (name: string, version: string, aliases: string[] = [], size = 10): CachedResource =>
  ({ name, version, aliases, bytes: Buffer.alloc(size) });
const index = (...rs: CachedResource[]): Map<string, CachedResource> => new Map(rs.map((r) => [r.name, r]));
const WILD: Subscription = { wildcard: true, names: new Set() };
const names = (rs: readonly CachedResource[]): string[] => rs.map((r) => r.name).sort();

test('subscription: an empty first request is a wildcard; "*" toggles it; explicit names accumulate', () => {
  assert.equal(applySubscription(NO_SUBSCRIPTION, [], [], true).subscription.wildcard, true);
  const later = applySubscription(WILD, [], [], false);
  assert.equal(later.changed, false, 'an ACK changes nothing');
  const onDemand = applySubscription(NO_SUBSCRIPTION, ['*'], ['*'], true);
  assert.equal(onDemand.subscription.wildcard, false, 'subscribe+unsubscribe "*" means explicit names only');
  assert.equal(onDemand.subscription.names.size, 0);
  const explicit = applySubscription(onDemand.subscription, ['a', '/198.18.1.5'], [], false);
  assert.deepEqual([...explicit.subscription.names], ['a', '/198.18.1.5']);
  assert.deepEqual(explicit.added, ['a', '/198.18.1.5']);
  const dropped = applySubscription(explicit.subscription, ['b'], ['a', 'b'], false);
  assert.deepEqual([...dropped.subscription.names], ['/198.18.1.5']);
  assert.deepEqual(dropped.dropped, ['a', 'b']);
  assert.deepEqual(dropped.added, []);
});

test('wildcard first push sends everything the client does not already hold at the same version', () => {
  const resources = index(res('w1', 'v1'), res('w2', 'v2'), res('s1', 'v3'));
  const plan = planDelta({ resources, subscription: WILD, held: new Map([['w1', 'v1'], ['w2', 'old'], ['gone', 'v9']]), rejected: new Map(), scope: 'all' });
  assert.deepEqual(names(plan.resources), ['s1', 'w2']);
  assert.deepEqual(plan.removed, ['gone'], 'names the client holds that no longer exist are removed');
  assert.equal(plan.truncated, false);
});

test('a scoped push looks only at the changed names', () => {
  const resources = index(res('w1', 'v1'), res('w2', 'v2b'));
  const held = new Map([['w1', 'v0'], ['w2', 'v2'], ['w3', 'v3']]);
  const plan = planDelta({ resources, subscription: WILD, held, rejected: new Map(), scope: new Set(['w2', 'w3', 'never-held']) });
  assert.deepEqual(names(plan.resources), ['w2']);
  assert.deepEqual(plan.removed, ['w3'], 'a removed name the client never held is not announced');
});

test('NACKed versions are not resent until they change; a NACKed removal is not repeated', () => {
  const resources = index(res('w1', 'bad'), res('w2', 'v2'));
  const held = new Map([['w1', 'v1'], ['old', 'v0']]);
  const rejected = new Map<string, string>();
  reject(rejected, { nonce: 'n1', versions: new Map([['w1', 'bad']]), removed: ['old'] });
  assert.equal(rejected.get('old'), REJECTED_REMOVAL);
  let plan = planDelta({ resources, subscription: WILD, held, rejected, scope: 'all' });
  assert.deepEqual(names(plan.resources), ['w2']);
  assert.deepEqual(plan.removed, []);
  plan = planDelta({ resources: index(res('w1', 'fixed'), res('w2', 'v2'), res('old', 'back')), subscription: WILD, held, rejected, scope: 'all' });
  assert.deepEqual(names(plan.resources), ['old', 'w1', 'w2'], 'new versions of refused resources are sent');
  // A resource whose update was refused and which then disappears is removed.
  plan = planDelta({ resources: index(), subscription: WILD, held: new Map(), rejected: new Map([['w9', 'x']]), scope: 'all' });
  assert.deepEqual(plan.removed, ['w9']);
});

test('ACK records what the client holds; it clears refusals for those names', () => {
  const held = new Map([['gone', 'v0']]);
  const rejected = new Map([['w1', 'bad']]);
  acknowledge(held, rejected, { nonce: 'n', versions: new Map([['w1', 'v2']]), removed: ['gone'] });
  assert.deepEqual([...held], [['w1', 'v2']]);
  assert.equal(rejected.size, 0);
});

test('explicit subscriptions match names and aliases; unknown names are reported removed once', () => {
  const resources = index(res('uid-1', 'v1', ['/198.18.1.5']), res('uid-2', 'v2', ['/198.18.1.6']), res('shop/web.shop.svc.cluster.local', 'v3', ['/198.19.0.10']));
  const sub = applySubscription(applySubscription(NO_SUBSCRIPTION, ['*'], ['*'], true).subscription, ['/198.18.1.5', 'shop/web.shop.svc.cluster.local', '/198.18.9.9'], [], false);
  const plan = planDelta({
    resources, subscription: sub.subscription, held: new Map(), rejected: new Map(), scope: 'all', newlySubscribed: new Set(sub.added),
  });
  assert.deepEqual(names(plan.resources), ['shop/web.shop.svc.cluster.local', 'uid-1']);
  assert.deepEqual(plan.removed, ['/198.18.9.9']);
  const again = planDelta({ resources, subscription: sub.subscription, held: new Map(), rejected: new Map(), scope: 'all' });
  assert.deepEqual(again.removed, [], 'without newlySubscribed the unknown name is not repeated');
});

test('responses are split by size, at least one resource each', () => {
  const resources = index(res('a', '1', [], 600), res('b', '1', [], 600), res('c', '1', [], 600));
  assert.ok(resourceWireSize(resources.get('a')!) > 600 && resourceWireSize(resources.get('a')!) < 1000);
  const first = planDelta({ resources, subscription: WILD, held: new Map(), rejected: new Map(), scope: 'all', maxBytes: 1000 });
  assert.equal(first.resources.length, 1);
  assert.equal(first.truncated, true);
  const held = new Map(first.resources.map((r) => [r.name, r.version]));
  const second = planDelta({ resources, subscription: WILD, held, rejected: new Map(), scope: 'all', maxBytes: 1000 });
  assert.equal(second.resources.length, 1);
  const huge = planDelta({ resources: index(res('x', '1', [], 5000)), subscription: WILD, held: new Map(), rejected: new Map(), scope: 'all', maxBytes: 1000 });
  assert.equal(huge.resources.length, 1, 'a single resource larger than the limit still goes out');
  assert.equal(huge.truncated, false);
});

test('unsubscribing forgets what the client held of those names', () => {
  const resources = index(res('uid-1', 'v1', ['/198.18.1.5']), res('uid-2', 'v2'));
  const held = new Map([['uid-1', 'v1'], ['uid-2', 'v2']]);
  const rejected = new Map<string, string>();
  const sub = applySubscription({ wildcard: false, names: new Set(['/198.18.1.5', 'uid-2']) }, [], ['/198.18.1.5'], false);
  forgetUnwanted(held, rejected, sub.subscription, resources, sub.dropped);
  assert.deepEqual([...held.keys()], ['uid-2']);
});
