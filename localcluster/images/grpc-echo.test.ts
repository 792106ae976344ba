// grpc-echo on loopback: calls over one channel are answered with the pod's name; a dead target
// shows up as UNAVAILABLE counts, not a crash.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callGrpcEcho, startGrpcEcho } from './grpc-echo';

test('calls are answered with the pod name', async () => {
  const server = await startGrpcEcho(0, { pod: 'grpc-1', namespace: 'ns', version: 'v1', node: 'n1' }, '127.0.0.1');
  try {
    assert.deepEqual(await callGrpcEcho(`127.0.0.1:${server.port}`, 5), { 'grpc-1': 5 });
  } finally {
    await server.close();
  }
});

test('an unreachable target counts failures by code', async () => {
  const server = await startGrpcEcho(0, { pod: 'x', namespace: 'ns', version: 'v1', node: 'n1' }, '127.0.0.1');
  const port = server.port;
  await server.close();
  assert.deepEqual(await callGrpcEcho(`127.0.0.1:${port}`, 2, 1_000), { 'error:UNAVAILABLE': 2 });
});
