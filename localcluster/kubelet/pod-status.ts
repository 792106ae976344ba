// The status a kubelet reports for a pod, computed from its containers' states and readiness:
// phase, conditions (PodScheduled, Initialized, ContainersReady, Ready), containerStatuses,
// podIP(s) and hostIP(s). Pure.

import { KubeObject } from '../apiserver/types';
import { ContainerState } from '../runtime/processes';
import { ContainerSpec } from './pod-env';

/** A container's state as the runtime reports it, or why the kubelet could not start it. */
export type ContainerRunState =
  | ContainerState
  | { state: 'waiting'; reason: 'CreateContainerConfigError' | 'ErrImagePull'; message: string; restartCount: number; lastTermination?: undefined };

const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

function lastState(s: ContainerRunState): Record<string, unknown> {
  const t = s.state === 'terminated' ? undefined : s.lastTermination;
  if (!t) return {};
  return { lastState: { terminated: { exitCode: t.exitCode, reason: t.reason, startedAt: iso(t.startedAt), finishedAt: iso(t.finishedAt) } } };
}

export interface PodRunView {
  containers: ContainerSpec[];
  states: Map<string, ContainerRunState>;
  ready: Map<string, boolean>;
  podIP: string;
  hostIP: string;
  startTime: string;
}

function condition(type: string, ok: boolean, now: string, previous: unknown[], reason?: string, message?: string) {
  const prev = previous.find((c) => typeof c === 'object' && c !== null && (c as { type?: string }).type === type) as
    { status?: string; lastTransitionTime?: string } | undefined;
  const status = ok ? 'True' : 'False';
  const c: Record<string, unknown> = {
    type, status,
    lastProbeTime: null,
    lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function podStatus(pod: KubeObject, view: PodRunView, now: string): Record<string, unknown> {
  const prevStatus = (typeof pod.status === 'object' && pod.status !== null ? pod.status : {}) as Record<string, unknown>;
  const prevConditions = Array.isArray(prevStatus.conditions) ? prevStatus.conditions : [];
  const containerStatuses = view.containers.map((c) => {
    const s = view.states.get(c.name) ?? { state: 'waiting', reason: 'ContainerCreating', restartCount: 0 } as ContainerRunState;
    const ready = s.state === 'running' && (view.ready.get(c.name) ?? false);
    let state: Record<string, unknown>;
    if (s.state === 'running') state = { running: { startedAt: iso(s.startedAt) } };
    else if (s.state === 'waiting') state = { waiting: { reason: s.reason, ...(s.message ? { message: s.message } : {}) } };
    else state = { terminated: { exitCode: s.exitCode, reason: s.reason, startedAt: iso(s.startedAt), finishedAt: iso(s.finishedAt) } };
    return {
      name: c.name, image: c.image, imageID: `ambit-local://${c.image}`, ready, started: s.state === 'running',
      restartCount: s.restartCount, state, ...lastState(s),
    };
  });
  const allRunning = containerStatuses.length > 0 && containerStatuses.every((c) => c.started);
  const allReady = containerStatuses.length > 0 && containerStatuses.every((c) => c.ready);
  const notReady = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const why = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const terminated = containerStatuses.filter((c) => 'terminated' in c.state);
  const allDone = containerStatuses.length > 0 && terminated.length === containerStatuses.length;
  const failed = terminated.some((c) => (c.state as { terminated: { exitCode: number } }).terminated.exitCode !== 0);
  const phase = allDone ? (failed ? 'Failed' : 'Succeeded') : allRunning ? 'Running' : 'Pending';
  return {
    phase,
    conditions: [
      condition('PodScheduled', true, now, prevConditions),
      condition('Initialized', true, now, prevConditions),
      condition('ContainersReady', allReady, now, prevConditions, 'ContainersNotReady', why),
      condition('Ready', allReady, now, prevConditions, 'ContainersNotReady', why),
    ],
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    podIP: view.podIP,
    podIPs: view.podIP ? [{ ip: view.podIP }] : [],
    startTime: view.startTime,
    containerStatuses,
    qosClass: 'BestEffort',
  };
}

export const isPodReady = (pod: KubeObject): boolean => {
  const status = pod.status as { conditions?: { type?: string; status?: string }[] } | undefined;
  return status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
};
