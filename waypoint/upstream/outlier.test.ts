// OutlierDetector: consecutive 5xx / gateway errors eject, a success resets the run, ejections
// expire and grow with repetition, the ejection-percent cap, panic when all are ejected, forget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutlierDetection } from '../../pkg/api/waypoint-types';
import { MAX_EJECTION_MS, OutlierDetector, type OutlierOutcome } from './outlier';

const config: OutlierDetection = {
  consecutive5xx: 5,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionPercent: 100,
};

function detector(parts: Partial<OutlierDetection> = {}): OutlierDetector {
  return new OutlierDetector({ ...config, ...parts });
}

/** Records outcomes for `uid` at `now`; returns the result of the last one. */
function feed(d: OutlierDetector, uid: string, outcomes: OutlierOutcome[], now = 0, hosts = 4): 'ejected' | undefined {
  let last: 'ejected' | undefined;
  for (const o of outcomes) last = d.record(uid, o, now, hosts);
  return last;
}

const five = (o: OutlierOutcome): OutlierOutcome[] => [o, o, o, o, o];

const runCases: { name: string; parts?: Partial<OutlierDetection>; outcomes: OutlierOutcome[]; ejected: boolean }[] = [
  { name: '5 consecutive 5xx eject', outcomes: five('5xx'), ejected: true },
  { name: '4 consecutive 5xx do not', outcomes: ['5xx', '5xx', '5xx', '5xx'], ejected: false },
  { name: 'a success resets the run', outcomes: ['5xx', '5xx', '5xx', '5xx', 'success', '5xx', '5xx', '5xx', '5xx'], ejected: false },
  { name: 'gateway errors count as 5xx', outcomes: five('gateway-error'), ejected: true },
  { name: 'mixed 5xx and gateway errors count toward consecutive5xx', outcomes: ['5xx', 'gateway-error', '5xx', 'gateway-error', '5xx'], ejected: true },
  { name: 'consecutive5xx 0 disables it', parts: { consecutive5xx: 0 }, outcomes: [...five('5xx'), ...five('5xx')], ejected: false },
  { name: 'gateway limit ejects on gateway errors alone', parts: { consecutive5xx: 0, consecutiveGatewayErrors: 3 }, outcomes: ['gateway-error', 'gateway-error', 'gateway-error'], ejected: true },
  { name: 'a plain 5xx breaks a run of gateway errors', parts: { consecutive5xx: 0, consecutiveGatewayErrors: 3 }, outcomes: ['gateway-error', 'gateway-error', '5xx', 'gateway-error', 'gateway-error'], ejected: false },
  { name: 'successes alone never eject', outcomes: five('success'), ejected: false },
];

for (const c of runCases) {
  test(`outlier: ${c.name}`, () => {
    const d = detector(c.parts);
    feed(d, 'a', c.outcomes);
    assert.equal(d.isEjected('a', 0), c.ejected);
    assert.deepEqual(d.ejected(0), c.ejected ? ['a'] : []);
  });
}

test('record reports the ejection on the result that caused it', () => {
  const d = detector();
  assert.deepEqual(five('5xx').map((o) => d.record('a', o, 0, 4)), [undefined, undefined, undefined, undefined, 'ejected']);
});

test('an ejection lasts baseEjectionMs, then the endpoint is back with a fresh count', () => {
  const d = detector();
  feed(d, 'a', five('5xx'), 1000);
  assert.equal(d.isEjected('a', 30_999), true);
  assert.equal(d.isEjected('a', 31_000), false);
  assert.deepEqual(d.ejected(31_000), []);
  assert.equal(feed(d, 'a', ['5xx', '5xx', '5xx', '5xx'], 31_000), undefined);
});

test('results while ejected are ignored', () => {
  const d = detector();
  feed(d, 'a', five('5xx'), 0);
  assert.equal(feed(d, 'a', five('5xx'), 10), undefined);
  assert.equal(d.isEjected('a', 30_000), false);
});

test('repeated ejections last longer; the multiplier decays while healthy; capped at 300 s', () => {
  const d = detector();
  feed(d, 'a', five('5xx'), 0); // 1st: 30 s
  feed(d, 'a', five('5xx'), 30_000); // 2nd right away: 60 s
  assert.equal(d.isEjected('a', 89_999), true);
  assert.equal(d.isEjected('a', 90_000), false);
  // Healthy for two intervals (20 s): multiplier 2 → 0; next ejection is 30 s again.
  feed(d, 'a', five('5xx'), 110_000);
  assert.equal(d.isEjected('a', 139_999), true);
  assert.equal(d.isEjected('a', 140_000), false);

  const e = detector({ baseEjectionMs: 100_000 });
  let t = 0;
  for (let i = 0; i < 5; i++) {
    feed(e, 'a', five('5xx'), t);
    const until = t + Math.min(100_000 * (i + 1), MAX_EJECTION_MS);
    assert.equal(e.isEjected('a', until - 1), true, `ejection ${i + 1}`);
    assert.equal(e.isEjected('a', until), false, `ejection ${i + 1} ends`);
    t = until;
  }
});

test('a base above 300 s is the cap itself', () => {
  const d = detector({ baseEjectionMs: 400_000 });
  feed(d, 'a', five('5xx'), 0);
  feed(d, 'a', five('5xx'), 400_000);
  assert.equal(d.isEjected('a', 799_999), true);
  assert.equal(d.isEjected('a', 800_000), false);
});

const capCases: { percent: number; hosts: number; ejectable: number }[] = [
  { percent: 100, hosts: 4, ejectable: 4 },
  { percent: 50, hosts: 4, ejectable: 2 },
  { percent: 50, hosts: 2, ejectable: 1 },
  { percent: 10, hosts: 2, ejectable: 0 },
  { percent: 10, hosts: 10, ejectable: 1 },
  { percent: 10, hosts: 20, ejectable: 2 },
  { percent: 0, hosts: 4, ejectable: 0 },
  { percent: 34, hosts: 3, ejectable: 1 },
];

for (const c of capCases) {
  test(`cap: maxEjectionPercent ${c.percent} of ${c.hosts} hosts ejects at most ${c.ejectable}`, () => {
    const d = detector({ maxEjectionPercent: c.percent });
    for (let i = 0; i < c.hosts; i++) feed(d, `h${i}`, five('5xx'), 0, c.hosts);
    assert.equal(d.ejected(0).length, c.ejectable);
  });
}

test('a blocked host is ejected after another full run once the cap has room', () => {
  const d = detector({ maxEjectionPercent: 50 });
  feed(d, 'a', five('5xx'), 0, 2);
  assert.equal(feed(d, 'b', five('5xx'), 0, 2), undefined);
  assert.equal(d.isEjected('a', 30_000), false);
  assert.equal(feed(d, 'b', five('5xx'), 30_000, 2), 'ejected');
});

test('usable drops ejected endpoints, and returns all of them when every one is ejected (panic)', () => {
  const d = detector();
  const eps = [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }];
  assert.equal(d.usable(eps, 0), eps);
  feed(d, 'b', five('5xx'), 0, 3);
  assert.deepEqual(d.usable(eps, 1).map((e) => e.uid), ['a', 'c']);
  feed(d, 'a', five('5xx'), 1, 3);
  feed(d, 'c', five('5xx'), 1, 3);
  assert.deepEqual(d.usable(eps, 2).map((e) => e.uid), ['a', 'b', 'c']);
  assert.deepEqual(d.usable(eps, 30_000).map((e) => e.uid), ['b']);
  assert.deepEqual(d.usable(eps, 30_001).map((e) => e.uid), ['a', 'b', 'c']);
});

test('forget drops state of endpoints that are gone', () => {
  const d = detector();
  feed(d, 'a', five('5xx'), 0);
  feed(d, 'b', ['5xx', '5xx', '5xx', '5xx'], 0);
  d.forget(new Set(['b', 'c']));
  assert.deepEqual(d.ejected(0), []);
  assert.equal(d.isEjected('a', 0), false);
  assert.equal(feed(d, 'b', ['5xx'], 0), 'ejected');
});
