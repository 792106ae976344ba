import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileGroup, selfTimeByFile } from './xds-scale-profile';

test('frames are grouped by compiled file, package, Node module or pseudo-frame', () => {
  assert.equal(fileGroup('file:///work/main/dist/istiod/xds/connection.js', 'push'), 'istiod/xds/connection');
  assert.equal(fileGroup('file:///work/main/node_modules/protobufjs/src/writer.js', 'fork'), 'protobufjs');
  assert.equal(fileGroup('file:///work/main/node_modules/@grpc/grpc-js/build/src/server.js', 'x'), '@grpc/grpc-js');
  assert.equal(fileGroup('node:internal/streams/readable', 'read'), 'node:streams');
  assert.equal(fileGroup('node:net', 'connect'), 'node:net');
  assert.equal(fileGroup('', '(garbage collector)'), '(garbage collector)');
  assert.equal(fileGroup('', 'writeBuffer'), '(native)');
});

test('self time per file, largest first, idle left out of the shares', () => {
  const frame = (id: number, url: string, functionName = 'f') => ({ id, callFrame: { functionName, url, lineNumber: 1 } });
  const profile = {
    nodes: [frame(1, '', '(idle)'), frame(2, 'file:///r/dist/istiod/model/index.js'), frame(3, 'file:///r/dist/istiod/model/index.js', 'g'), frame(4, 'node:buffer')],
    samples: [1, 2, 3, 4, 2],
    timeDeltas: [5000, 1000, 1000, 1000, 1000],
  };
  const byFile = selfTimeByFile(profile);
  assert.deepEqual(byFile, [
    { file: 'istiod/model/index', selfMs: 3, percent: 75 },
    { file: 'node:buffer', selfMs: 1, percent: 25 },
  ]);
});
