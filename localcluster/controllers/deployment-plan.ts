// Deployment decisions over plain data: how many pods of the current template to create and which
// pods to delete (scaling, RollingUpdate within maxSurge/maxUnavailable, Recreate), and the
// status the Deployment reports. Pure.

import { upsertCondition } from './conditions';
import { rec } from './object-access';
import { scaledValue } from './workload-pods';

export interface PlanPod {
  name: string;
  /** Carries the current template's hash. */
  current: boolean;
  ready: boolean;
  scheduled: boolean;
  created: string;
}

export interface RolloutParams {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  recreate: boolean;
}

export interface DeploymentPlan {
  create: number;
  delete: string[];
}

export function rolloutParams(spec: unknown): RolloutParams {
  const s = rec(spec);
  const r = s.replicas;
  const replicas = typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : 1;
  const strategy = rec(s.strategy);
  const rolling = rec(strategy.rollingUpdate);
  const maxSurge = Math.max(1, scaledValue(rolling.maxSurge, replicas, true, '25%'));
  const maxUnavailable = Math.min(replicas, scaledValue(rolling.maxUnavailable, replicas, false, '25%'));
  return { replicas, maxSurge, maxUnavailable, recreate: strategy.type === 'Recreate' };
}

/** Deletion order: unscheduled, then not ready, then newest first; name breaks ties. */
export function deletionOrder(pods: readonly PlanPod[]): PlanPod[] {
  const rank = (p: PlanPod): number => (p.scheduled ? 2 : 0) + (p.ready ? 1 : 0);
  return [...pods].sort((a, b) => rank(a) - rank(b)
    || (a.created > b.created ? -1 : a.created < b.created ? 1 : 0)
    || (a.name < b.name ? -1 : 1));
}

/** What to do next, given the active pods (not terminated, not being deleted). */
export function planDeployment(pods: readonly PlanPod[], p: RolloutParams): DeploymentPlan {
  const current = pods.filter((x) => x.current);
  const old = pods.filter((x) => !x.current);
  const del: string[] = [];
  if (p.recreate && old.length > 0) return { create: 0, delete: old.map((x) => x.name) };

  let keptCurrent = current;
  if (current.length > p.replicas) {
    const excess = deletionOrder(current).slice(0, current.length - p.replicas);
    del.push(...excess.map((x) => x.name));
    keptCurrent = current.filter((x) => !excess.includes(x));
  }
  if (old.length === 0) return { create: Math.max(0, p.replicas - keptCurrent.length), delete: del };

  // Rolling update: old pods go while availability stays at replicas - maxUnavailable or more
  // (unready ones never count toward it); new pods come while the total stays within the surge.
  const minAvailable = Math.max(0, p.replicas - p.maxUnavailable);
  let available = keptCurrent.filter((x) => x.ready).length + old.filter((x) => x.ready).length;
  let oldLeft = old.length;
  for (const o of deletionOrder(old)) {
    if (o.ready && available - 1 < minAvailable) break;
    del.push(o.name);
    oldLeft -= 1;
    if (o.ready) available -= 1;
  }
  const room = p.replicas + p.maxSurge - (keptCurrent.length + oldLeft);
  return { create: Math.max(0, Math.min(p.replicas - keptCurrent.length, room)), delete: del };
}

export interface StatusInput {
  name: string;
  hash: string;
  generation: number;
  params: RolloutParams;
  /** Active pods after this round's changes. */
  pods: readonly PlanPod[];
  previous: unknown;
  now: string;
  /** Set when the Deployment cannot manage pods (e.g. its selector does not select its template). */
  failure?: { reason: string; message: string };
}

export function deploymentStatus(input: StatusInput): Record<string, unknown> {
  const { params, pods } = input;
  const replicas = pods.length;
  const updated = pods.filter((x) => x.current).length;
  const ready = pods.filter((x) => x.ready).length;
  const available = ready;
  const rsName = `${input.name}-${input.hash}`;
  let conditions: unknown = rec(input.previous).conditions;
  const minimum = available >= params.replicas - params.maxUnavailable;
  conditions = upsertCondition(conditions, minimum
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
  input.now, { updateTime: true });
  const complete = updated === params.replicas && replicas === params.replicas && available === params.replicas;
  conditions = upsertCondition(conditions, complete
    ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
    : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` },
  input.now, { updateTime: true });
  if (input.failure) {
    conditions = upsertCondition(conditions, { type: 'ReplicaFailure', status: 'True', ...input.failure }, input.now, { updateTime: true });
  } else {
    conditions = (conditions as Record<string, unknown>[]).filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: Record<string, unknown> = {
    observedGeneration: input.generation,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
  };
  status.unavailableReplicas = Math.max(0, params.replicas - available);
  status.conditions = conditions;
  const collisionCount = rec(input.previous).collisionCount;
  if (typeof collisionCount === 'number') status.collisionCount = collisionCount;
  return status;
}
