// Pod status from container states: phase, Ready only when every container runs and passes its
// probe, waiting reasons and restart counts visible, transition times kept while unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { ContainerRunState, podStatus, PodRunView } from './pod-status';

const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: {} };
const containers = [{ name: 'a', image: 'ambit/echo' }, { name: 'b', image: 'ambit/sleep' }];
const view = (states: [string, ContainerRunState][], ready: [string, boolean][]): PodRunView => ({
  containers, states: new Map(states), ready: new Map(ready), podIP: '198.18.1.5', hostIP: '198.18.0.11', startTime: '2026-01-01T00:00:00Z',
});
const running = (restartCount = 0): ContainerRunState => ({ state: 'running', pid: 1, startedAt: new Date(0), restartCount });
type Status = { phase: string; podIP: string; conditions: { type: string; status: string; lastTransitionTime: string; message?: string }[]; containerStatuses: { name: string; ready: boolean; restartCount: number; state: Record<string, { reason?: string }> }[] };

test('ready only when every container runs and passes readiness', () => {
  const s1 = podStatus(pod, view([['a', running()], ['b', running()]], [['a', true], ['b', false]]), 'T1') as unknown as Status;
  assert.equal(s1.phase, 'Running');
  assert.equal(s1.podIP, '198.18.1.5');
  const ready = s1.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.match(ready.message!, /\[b\]/);
  const s2 = podStatus({ ...pod, status: s1 }, view([['a', running()], ['b', running(2)]], [['a', true], ['b', true]]), 'T2') as unknown as Status;
  assert.equal(s2.conditions.find((c) => c.type === 'Ready')!.status, 'True');
  assert.equal(s2.conditions.find((c) => c.type === 'PodScheduled')!.lastTransitionTime, 'T1', 'unchanged conditions keep their time');
  assert.equal(s2.containerStatuses[1].restartCount, 2);
});

test('a container that cannot start shows its reason and keeps the pod Pending', () => {
  const s = podStatus(pod, view([['a', { state: 'waiting', reason: 'ErrImagePull', message: 'image "x" is not known', restartCount: 0 }], ['b', running()]], []), 'T') as unknown as Status;
  assert.equal(s.phase, 'Pending');
  assert.equal(s.containerStatuses[0].state.waiting.reason, 'ErrImagePull');
});

test('finished containers give Succeeded or Failed', () => {
  const done = (exitCode: number): ContainerRunState => ({ state: 'terminated', exitCode, signal: null, reason: exitCode ? 'Error' : 'Completed', startedAt: new Date(0), finishedAt: new Date(1000), restartCount: 0 });
  assert.equal((podStatus(pod, view([['a', done(0)], ['b', done(0)]], []), 'T') as unknown as Status).phase, 'Succeeded');
  assert.equal((podStatus(pod, view([['a', done(0)], ['b', done(3)]], []), 'T') as unknown as Status).phase, 'Failed');
});
