// Balancers: round robin rotation across list changes, least request (power of two choices),
// random, consistent hash stability (same key → same endpoint; removing one endpoint moves only
// its keys), and the hash key a request carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsistentHash } from '../../pkg/api/waypoint-types';
import { cookieValue, createBalancer, hashKeyFor, type PickContext } from './balancer';

interface Ep { readonly uid: string }
const eps = (...uids: string[]): Ep[] => uids.map((uid) => ({ uid }));

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ctx(parts: Partial<PickContext> = {}): PickContext {
  return { random: () => 0, active: () => 0, ...parts };
}

for (const kind of ['round_robin', 'least_request', 'random', 'consistent_hash'] as const) {
  test(`${kind}: no endpoints → undefined; one endpoint → it`, () => {
    const b = createBalancer({ kind });
    assert.equal(b.pick([], ctx({ hashKey: 'k' })), undefined);
    assert.equal(b.pick(eps('only'), ctx({ hashKey: 'k', random: () => 0.7 }))?.uid, 'only');
  });
}

test('round_robin rotates from a random start and keeps rotating when the list changes', () => {
  const b = createBalancer({ kind: 'round_robin' });
  const three = eps('a', 'b', 'c');
  const c = ctx({ random: () => 0.5 });
  const seq = Array.from({ length: 6 }, () => b.pick(three, c)?.uid);
  assert.deepEqual(seq, ['b', 'c', 'a', 'b', 'c', 'a']);
  const two = eps('a', 'c');
  assert.deepEqual(Array.from({ length: 4 }, () => b.pick(two, c)?.uid), ['c', 'a', 'c', 'a']);
});

test('round_robin spreads evenly after a list change (no skew)', () => {
  const b = createBalancer({ kind: 'round_robin' });
  const c = ctx();
  for (let i = 0; i < 7; i++) b.pick(eps('a', 'b', 'c', 'd', 'e'), c);
  const counts = new Map<string, number>();
  const list = eps('a', 'b', 'c');
  for (let i = 0; i < 300; i++) {
    const uid = b.pick(list, c)!.uid;
    counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  assert.deepEqual([...counts.values()], [100, 100, 100]);
});

test('least_request: the candidate with fewer in-flight requests wins', () => {
  const b = createBalancer({ kind: 'least_request' });
  const list = eps('a', 'b', 'c');
  const active = (uid: string): number => ({ a: 5, b: 1, c: 9 })[uid] ?? 0;
  // random 0 → i = 0 (a); random 0 → j = 0 → bumped to 1 (b): a vs b → b.
  assert.equal(b.pick(list, ctx({ active, random: () => 0 }))?.uid, 'b');
  // random 0.9 → i = 2 (c); then j = 1 (b): c vs b → b.
  assert.equal(b.pick(list, ctx({ active, random: () => 0.9 }))?.uid, 'b');
});

test('least_request: an idle endpoint takes most traffic from busy ones over many picks', () => {
  const b = createBalancer({ kind: 'least_request' });
  const list = eps('busy1', 'busy2', 'idle');
  const active = (uid: string): number => (uid === 'idle' ? 0 : 10);
  const random = seeded(3);
  let idle = 0;
  for (let i = 0; i < 3000; i++) if (b.pick(list, ctx({ active, random }))?.uid === 'idle') idle++;
  // Chosen whenever it is one of the two candidates: 2/3 of picks.
  assert.ok(idle > 1800 && idle < 2200, `idle picked ${idle}`);
});

test('least_request: ties are broken at random', () => {
  const b = createBalancer({ kind: 'least_request' });
  const list = eps('a', 'b');
  const seen = new Set<string>();
  const random = seeded(11);
  for (let i = 0; i < 50; i++) seen.add(b.pick(list, ctx({ random }))!.uid);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('random follows the random source', () => {
  const b = createBalancer({ kind: 'random' });
  const list = eps('a', 'b', 'c', 'd');
  assert.equal(b.pick(list, ctx({ random: () => 0 }))?.uid, 'a');
  assert.equal(b.pick(list, ctx({ random: () => 0.5 }))?.uid, 'c');
  assert.equal(b.pick(list, ctx({ random: () => 0.9999 }))?.uid, 'd');
});

const hashed = (): ReturnType<typeof createBalancer> => createBalancer({ kind: 'consistent_hash', hash: { source: 'header', name: 'x-user' } });
const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

test('consistent_hash: the same key picks the same endpoint, also for a new array with the same set', () => {
  const b = hashed();
  const list = eps(...Array.from({ length: 10 }, (_, i) => `pod-${i}`));
  const first = keys.map((k) => b.pick(list, ctx({ hashKey: k }))?.uid);
  const copy = list.map((e) => ({ ...e }));
  const again = keys.map((k) => b.pick(copy, ctx({ hashKey: k, random: () => 0.99 }))?.uid);
  assert.deepEqual(again, first);
  // A fresh balancer agrees: the mapping depends only on key and uids.
  assert.deepEqual(keys.slice(0, 50).map((k) => hashed().pick(list, ctx({ hashKey: k }))?.uid), first.slice(0, 50));
});

test('consistent_hash: keys spread over all endpoints', () => {
  const b = hashed();
  const list = eps(...Array.from({ length: 10 }, (_, i) => `pod-${i}`));
  const counts = new Map<string, number>();
  for (const k of keys) {
    const uid = b.pick(list, ctx({ hashKey: k }))!.uid;
    counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  assert.equal(counts.size, 10);
  for (const [uid, n] of counts) assert.ok(n > 100 && n < 320, `${uid} got ${n} of 2000`);
});

test('consistent_hash: removing one endpoint moves only its keys; adding it back restores them', () => {
  const b = hashed();
  const full = eps(...Array.from({ length: 10 }, (_, i) => `pod-${i}`));
  const before = keys.map((k) => b.pick(full, ctx({ hashKey: k }))!.uid);
  const without = full.filter((e) => e.uid !== 'pod-3');
  const after = keys.map((k) => b.pick(without, ctx({ hashKey: k }))!.uid);
  let moved = 0;
  for (let i = 0; i < keys.length; i++) {
    if (before[i] === 'pod-3') assert.notEqual(after[i], 'pod-3');
    else if (after[i] !== before[i]) moved++;
  }
  assert.equal(moved, 0);
  assert.deepEqual(keys.map((k) => b.pick(full, ctx({ hashKey: k }))!.uid), before);
});

test('consistent_hash: an array changed in place is noticed', () => {
  const b = hashed();
  const list = eps('a', 'b', 'c');
  for (const k of keys.slice(0, 20)) b.pick(list, ctx({ hashKey: k }));
  list.pop();
  for (const k of keys.slice(0, 200)) assert.ok(['a', 'b'].includes(b.pick(list, ctx({ hashKey: k }))!.uid));
});

test('consistent_hash without a key falls back to random', () => {
  const b = hashed();
  const list = eps('a', 'b', 'c', 'd');
  assert.equal(b.pick(list, ctx({ random: () => 0 }))?.uid, 'a');
  assert.equal(b.pick(list, ctx({ random: () => 0.99 }))?.uid, 'd');
});

const request = {
  header: (n: string): string | undefined => ({ 'x-user': 'jason', cookie: 'a=1; session="abc"; b=2' } as Record<string, string>)[n],
  query: 'tenant=t%201&x=2',
  sourceIp: '198.18.1.5',
};

const keyCases: { hash: ConsistentHash | undefined; want: string | undefined }[] = [
  { hash: undefined, want: undefined },
  { hash: { source: 'header', name: 'x-user' }, want: 'jason' },
  { hash: { source: 'header', name: 'X-User' }, want: 'jason' },
  { hash: { source: 'header', name: 'x-missing' }, want: undefined },
  { hash: { source: 'cookie', name: 'session' }, want: 'abc' },
  { hash: { source: 'cookie', name: 'b' }, want: '2' },
  { hash: { source: 'cookie', name: 'nope' }, want: undefined },
  { hash: { source: 'source_ip', name: '' }, want: '198.18.1.5' },
  { hash: { source: 'query', name: 'tenant' }, want: 't 1' },
  { hash: { source: 'query', name: 'nope' }, want: undefined },
];

for (const c of keyCases) {
  test(`hashKeyFor ${c.hash ? `${c.hash.source} ${c.hash.name}` : 'none'} → ${c.want}`, () => {
    assert.equal(hashKeyFor(c.hash, request), c.want);
  });
}

test('cookieValue parses crumbs split by ";" or ","', () => {
  assert.equal(cookieValue('a=1,b=2', 'b'), '2');
  assert.equal(cookieValue('  a = 1 ;b=', 'b'), '');
  assert.equal(cookieValue('ab=1', 'a'), undefined);
  assert.equal(cookieValue('', 'a'), undefined);
  assert.equal(cookieValue('noequals; a=x=y', 'a'), 'x=y');
});
