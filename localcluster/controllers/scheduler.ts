// The scheduler controller: binds unbound pods to a node chosen by `pickNode`, or marks them
// PodScheduled=False/Unschedulable. Node changes requeue every unbound pod.

import { Store, StoreEvent } from '../apiserver/store';
import { KubeObject } from '../apiserver/types';
import { upsertCondition } from './conditions';
import { Controller } from './controller';
import { objectKey, rec, splitKey } from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';
import { needsScheduling, nodeFacts, pickNode, podCountsByNode, podNodeSelector } from './scheduling';
import { timestamp } from '../apiserver/object-meta';

export class Scheduler implements Controller {
  readonly name = 'scheduler';

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys) {}

  *keysFor(e: StoreEvent): Iterable<string> {
    if (e.typeKey === this.keys.pods && e.type !== 'DELETED' && needsScheduling(e.object)) yield objectKey(e.object);
    if (e.typeKey === this.keys.nodes) yield* this.allKeys();
  }

  allKeys(): string[] {
    return this.store.list(this.types.pods, { predicate: needsScheduling }).items.map(objectKey);
  }

  reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = this.store.tryGet(this.types.pods, namespace, name);
    if (!pod || !needsScheduling(pod)) return;
    const nodes = this.store.list(this.types.nodes).items.map(nodeFacts);
    const placement = pickNode(podNodeSelector(pod), nodes, podCountsByNode(this.store.list(this.types.pods).items));
    if (placement.node !== undefined) {
      const bound = structuredClone(pod) as KubeObject;
      bound.spec = { ...rec(bound.spec), nodeName: placement.node };
      const after = this.store.update(this.types.pods, bound);
      this.writeScheduled(after, 'True', '', '');
    } else {
      this.writeScheduled(pod, 'False', 'Unschedulable', placement.message);
    }
  }

  private writeScheduled(pod: KubeObject, status: 'True' | 'False', reason: string, message: string): void {
    const current = this.store.tryGet(this.types.pods, pod.metadata.namespace, pod.metadata.name ?? '');
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    const next = structuredClone(current) as KubeObject;
    const st = rec(next.status);
    st.phase ??= 'Pending';
    st.conditions = upsertCondition(st.conditions, { type: 'PodScheduled', status, reason, message }, timestamp(), { probeTime: true });
    if (status === 'True') {
      const c = (st.conditions as Record<string, unknown>[]).find((x) => x.type === 'PodScheduled');
      if (c) { delete c.reason; delete c.message; }
    }
    next.status = st;
    this.store.update(this.types.pods, next, { subresource: 'status' });
  }
}
