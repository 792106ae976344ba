// Unit tests for push debouncing: the pure delay rule and the Debouncer on a hand-stepped clock
// (quiet period, maximum wait during a steady stream of changes, batching per type, close).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, flushDelay, type Batch, type Timers } from './debounce';

const settings = { afterMs: 100, maxMs: 1000 };

test('flushDelay: quiet period after the last change, capped by the maximum after the first', () => {
  assert.equal(flushDelay(0, 0, 0, settings), 100);
  assert.equal(flushDelay(50, 0, 50, settings), 100);
  assert.equal(flushDelay(150, 0, 50, settings), 0);
  assert.equal(flushDelay(950, 0, 950, settings), 50, 'never later than maxMs after the first change');
  assert.equal(flushDelay(2000, 0, 1999, settings), 0);
  assert.equal(flushDelay(0, 0, 0, { afterMs: 0, maxMs: 0 }), 0);
});

/** A manual clock: timers fire only when `advance` passes their due time. */
function manualTimers(): Timers & { advance(ms: number): void; readonly armed: number } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => { timers.set(++seq, { due: now + ms, fn }); return seq; },
    clearTimeout: (h) => { timers.delete(h as number); },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].filter(([, t]) => t.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].due;
        next[1].fn();
      }
      now = end;
    },
    get armed() { return timers.size; },
  };
}

const flat = (b: Batch): Record<string, string[]> => Object.fromEntries([...b].map(([k, v]) => [k, [...v].sort()]));

test('changes are batched until the quiet period passes', () => {
  const t = manualTimers();
  const batches: Batch[] = [];
  const d = new Debouncer(settings, (b) => batches.push(b), t);
  d.add('A', ['x']);
  t.advance(60);
  d.add('A', ['y', 'x']);
  d.add('B', ['z']);
  t.advance(60);
  assert.equal(batches.length, 0, 'still within 100 ms of the last change');
  t.advance(100);
  assert.deepEqual(batches.map(flat), [{ A: ['x', 'y'], B: ['z'] }]);
  assert.equal(d.waiting, false);
  d.add('A', ['w']);
  t.advance(100);
  assert.deepEqual(batches.map(flat)[1], { A: ['w'] });
});

test('a steady stream of changes is still pushed once the maximum wait has passed', () => {
  const t = manualTimers();
  const batches: Batch[] = [];
  const d = new Debouncer(settings, (b) => batches.push(b), t);
  for (let i = 0; i < 30; i++) {
    d.add('A', [`n${i}`]);
    t.advance(50);
  }
  assert.ok(batches.length >= 1, 'flushed at least once during 1.5 s of changes every 50 ms');
  assert.equal(batches[0]!.get('A')!.size, 20, 'the first batch holds the changes made before the maximum wait ran out');
  t.advance(1000);
  const all = new Set(batches.flatMap((b) => [...b.get('A')!]));
  assert.equal(all.size, 30, 'every change was pushed');
});

test('close drops pending changes and cancels the timer', () => {
  const t = manualTimers();
  const batches: Batch[] = [];
  const d = new Debouncer(settings, (b) => batches.push(b), t);
  d.add('A', ['x']);
  d.close();
  assert.equal(t.armed, 0);
  d.add('A', ['y']);
  t.advance(5000);
  assert.equal(batches.length, 0);
});
