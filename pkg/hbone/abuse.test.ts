// Rapid Reset accounting: when a connection counts as abusive and when it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrematureResetCounter } from './abuse';

test('a burst of streams opened and reset at once is abusive', () => {
  const counter = new PrematureResetCounter({ maxPrematureResets: 100, windowMs: 10_000 });
  let abusive = false;
  for (let i = 0; i < 101 && !abusive; i++) {
    counter.streamOpened(1000);
    abusive = counter.prematureReset(1000);
  }
  assert.equal(abusive, true);
});

test('resets spread beyond the window, or a minority among healthy streams, are tolerated', () => {
  const slow = new PrematureResetCounter({ maxPrematureResets: 10, windowMs: 1000 });
  for (let i = 0; i < 100; i++) {
    slow.streamOpened(i * 200);
    assert.equal(slow.prematureReset(i * 200), false, `reset ${i}`);
  }
  const busy = new PrematureResetCounter({ maxPrematureResets: 10, windowMs: 1000 });
  for (let i = 0; i < 1000; i++) busy.streamOpened(500);
  for (let i = 0; i < 300; i++) assert.equal(busy.prematureReset(500), false);
  assert.equal(busy.recentResets, 300);
});
