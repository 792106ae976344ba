// Scheduling decisions: which node a pod goes to (Ready, schedulable, matching its nodeSelector,
// fewest non-terminated pods, ties by name), and the "0/N nodes are available" message when none
// fits. Pure.

import { KubeObject } from '../apiserver/types';
import { matchesLabels } from './label-selector';
import {
  isDeleting, isNodeReady, isNodeSchedulable, isTerminated, labelsOf, podNodeName, rec, stringMap,
} from './object-access';

export interface NodeFacts {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  labels: Record<string, string>;
}

export const nodeFacts = (node: KubeObject): NodeFacts => ({
  name: node.metadata.name ?? '',
  ready: isNodeReady(node) && !isDeleting(node),
  unschedulable: !isNodeSchedulable(node),
  labels: labelsOf(node),
});

/** Non-terminated pods per node name. */
export function podCountsByNode(pods: readonly KubeObject[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of pods) {
    const n = podNodeName(p);
    if (n && !isTerminated(p)) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

export type Placement = { node: string } | { node?: undefined; message: string };

export function pickNode(nodeSelector: Record<string, string>, nodes: readonly NodeFacts[], counts: ReadonlyMap<string, number>): Placement {
  if (nodes.length === 0) return { message: 'no nodes available to schedule pods' };
  const reasons = new Map<string, number>();
  const note = (why: string): void => { reasons.set(why, (reasons.get(why) ?? 0) + 1); };
  const fit: NodeFacts[] = [];
  for (const n of nodes) {
    if (!n.ready) note("node(s) were not ready");
    else if (n.unschedulable) note('node(s) were unschedulable');
    else if (!matchesLabels(nodeSelector, n.labels)) note("node(s) didn't match Pod's node affinity/selector");
    else fit.push(n);
  }
  if (fit.length === 0) {
    const parts = [...reasons].sort(([a], [b]) => (a < b ? -1 : 1)).map(([why, n]) => `${n} ${why}`);
    return { message: `0/${nodes.length} nodes are available: ${parts.join(', ')}.` };
  }
  fit.sort((a, b) => (counts.get(a.name) ?? 0) - (counts.get(b.name) ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { node: fit[0].name };
}

/** Whether the scheduler should act on this pod: unbound, not being deleted, ours to schedule. */
export function needsScheduling(pod: KubeObject): boolean {
  const spec = rec(pod.spec);
  const scheduler = spec.schedulerName;
  return !podNodeName(pod) && !isDeleting(pod) && !isTerminated(pod)
    && (scheduler === undefined || scheduler === '' || scheduler === 'default-scheduler');
}

export const podNodeSelector = (pod: KubeObject): Record<string, string> => stringMap(rec(pod.spec).nodeSelector);
