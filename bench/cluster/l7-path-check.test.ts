import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerProblem } from './l7-path-check';

const answer = (status: number, bytes: number, headers: Record<string, string> = {}): { status: number; bytes: number; headers: Map<string, string> } =>
  ({ status, bytes, headers: new Map(Object.entries(headers)) });

test('every path must answer 200 with the 1 KiB body', () => {
  assert.equal(answerProblem('direct', answer(200, 1024)), undefined);
  assert.equal(answerProblem('haproxy', answer(503, 0)), 'answered 503 with 0 bytes, expected 200 with 1024');
});

test('the waypoint path must carry the HTTPRoute header, and no other path may', () => {
  assert.equal(answerProblem('waypoint', answer(200, 1024, { 'x-ambit-bench-route': 'l7-bench' })), undefined);
  assert.match(answerProblem('waypoint', answer(200, 1024)) ?? '', /without the HTTPRoute's response header .*the waypoint did not route it/);
  assert.match(answerProblem('ztunnel', answer(200, 1024, { 'x-ambit-bench-route': 'l7-bench' })) ?? '', /though no waypoint is on this path/);
});
