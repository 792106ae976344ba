// Tests of the xDS reconnect backoff: doubling steps with jitter, the cap, and reset.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, DEFAULT_XDS_BACKOFF } from './backoff';

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs, each delay between half and all of its step', () => {
    const low = new Backoff({ initialMs: 10, maxMs: 15_000 }, () => 0);
    const high = new Backoff({ initialMs: 10, maxMs: 15_000 }, () => 1);
    const lows = Array.from({ length: 13 }, () => low.next());
    const highs = Array.from({ length: 13 }, () => high.next());
    assert.deepEqual(highs, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 15000, 15000]);
    assert.deepEqual(lows, highs.map((h) => h / 2));
  });

  it('starts over after reset()', () => {
    const b = new Backoff({ initialMs: 5, maxMs: 100 }, () => 1);
    b.next();
    b.next();
    assert.equal(b.next(), 20);
    b.reset();
    assert.equal(b.next(), 5);
  });

  it('defaults to 10 ms → 15 s and refuses nonsense', () => {
    assert.deepEqual(DEFAULT_XDS_BACKOFF, { initialMs: 10, maxMs: 15_000 });
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 20, maxMs: 10 }), RangeError);
  });
});
