// decideFault: delay and abort each hit with their own percentage, independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fault } from '../../pkg/api/waypoint-types';
import { decideFault, type FaultDecision } from './fault';

function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

const both: Fault = { delay: { delayMs: 2000, percent: 50 }, abort: { httpStatus: 503, percent: 10 } };

const cases: { name: string; fault: Fault | undefined; randoms: number[]; want: FaultDecision }[] = [
  { name: 'no fault', fault: undefined, randoms: [0], want: { delayMs: 0 } },
  { name: 'empty fault', fault: {}, randoms: [0], want: { delayMs: 0 } },
  { name: 'delay hits, abort misses', fault: both, randoms: [0.49, 0.1], want: { delayMs: 2000 } },
  { name: 'delay misses, abort hits', fault: both, randoms: [0.5, 0.09], want: { delayMs: 0, abort: { httpStatus: 503 } } },
  { name: 'both hit', fault: both, randoms: [0, 0], want: { delayMs: 2000, abort: { httpStatus: 503 } } },
  { name: 'neither hits', fault: both, randoms: [0.99, 0.99], want: { delayMs: 0 } },
  { name: '100 % always', fault: { abort: { httpStatus: 500, percent: 100 } }, randoms: [0.999999], want: { delayMs: 0, abort: { httpStatus: 500 } } },
  { name: '0 % never', fault: { delay: { delayMs: 5, percent: 0 } }, randoms: [0], want: { delayMs: 0 } },
  { name: 'fractional percent', fault: { delay: { delayMs: 5, percent: 0.5 } }, randoms: [0.004], want: { delayMs: 5 } },
  { name: 'gRPC abort', fault: { abort: { grpcStatus: 14, percent: 100 } }, randoms: [0], want: { delayMs: 0, abort: { grpcStatus: 14 } } },
];

for (const c of cases) {
  test(`fault: ${c.name}`, () => {
    assert.deepEqual(decideFault(c.fault, sequence(...c.randoms)), c.want);
  });
}

test('abort 50 % aborts about half of many requests', () => {
  let x = 0;
  const random = (): number => {
    x = (x * 9301 + 49297) % 233280;
    return x / 233280;
  };
  let aborted = 0;
  for (let i = 0; i < 2000; i++) if (decideFault({ abort: { httpStatus: 503, percent: 50 } }, random).abort) aborted++;
  assert.ok(aborted > 900 && aborted < 1100, `aborted ${aborted}`);
});
