import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameCategory, asCpuProfile, summarizeCpuProfile } from './cpu-profile';

const PROFILE = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 3, callFrame: { functionName: 'writeGeneric', url: 'node:internal/stream_base_commons', lineNumber: 146 } },
    { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    { id: 5, callFrame: { functionName: 'onData', url: 'file:///work/main/dist/pkg/hbone/splice.js', lineNumber: 40 } },
    { id: 6, callFrame: { functionName: '', url: 'file:///work/main/node_modules/x/index.js', lineNumber: 0 } },
    { id: 7, callFrame: { functionName: 'writeBuffer', url: '', lineNumber: -1 } },
  ],
  samples: [2, 3, 3, 4, 5, 6, 2, 7],
  timeDeltas: [1000, 3000, 3000, 1000, 2000, 1000, 9000, 10000],
  startTime: 0,
  endTime: 20000,
};

test('charges sample time to frames and ranks them, leaving idle out of busy time', () => {
  const p = asCpuProfile(PROFILE);
  assert.ok(typeof p !== 'string');
  const s = summarizeCpuProfile(p, 3);
  assert.equal(s.totalMs, 30);
  assert.equal(s.busyMs, 20);
  assert.deepEqual(s.top, [
    { frame: 'writeBuffer', selfMs: 10, percent: 50 },
    { frame: 'writeGeneric (node:internal/stream_base_commons:147)', selfMs: 6, percent: 30 },
    { frame: 'onData (hbone/splice.js:41)', selfMs: 2, percent: 10 },
  ]);
  const cats = new Map(s.categories.map((c) => [c.category, c.percent]));
  assert.equal(cats.get(FrameCategory.Native), 50);
  assert.equal(cats.get(FrameCategory.NodeInternals), 30);
  assert.equal(cats.get(FrameCategory.Project), 10);
  assert.equal(cats.get(FrameCategory.Gc), 5);
  assert.equal(cats.get(FrameCategory.Other), 5);
  assert.equal(cats.has(FrameCategory.Idle), false);
});

test('refuses documents that are not CPU profiles', () => {
  assert.match(String(asCpuProfile({ hello: 1 })), /not a V8 CPU profile/);
  assert.match(String(asCpuProfile({ nodes: [{ id: 1 }], samples: [], timeDeltas: [] })), /lacks id or callFrame/);
  assert.match(String(asCpuProfile({ nodes: [], samples: [1], timeDeltas: [] })), /differ in length/);
});
