// The DaemonSet controller: one pod per eligible node with spec.nodeName set directly (no
// scheduler), labelled `controller-revision-hash`; applies `planDaemonSet` and writes status.
// Pod changes requeue their owner; node changes requeue every DaemonSet.

import { Store, StoreEvent } from '../apiserver/store';
import { KubeObject } from '../apiserver/types';
import { Controller } from './controller';
import { daemonSetStatus, DsNode, DsPod, planDaemonSet } from './daemonset-plan';
import { matchesLabels, matchesSelector } from './label-selector';
import {
  controllerKeys, isControlledBy, isDeleting, isNodeReady, isNodeSchedulable, isPodReady, isTerminated, labelsOf,
  objectKey, podNodeName, rec, splitKey, stringMap,
} from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';
import { deleteIfPresent, releaseFromOwner, writeStatus } from './store-writes';
import { podFromTemplate, scaledValue, templateHash } from './workload-pods';

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export class DaemonSetController implements Controller {
  readonly name = 'daemonsets';

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys) {}

  keysFor(e: StoreEvent): string[] {
    if (e.typeKey === this.keys.daemonSets) return [objectKey(e.object)];
    if (e.typeKey === this.keys.pods) return controllerKeys('DaemonSet', e.object, e.old);
    if (e.typeKey === this.keys.nodes) return this.allKeys();
    return [];
  }

  allKeys(): string[] {
    return this.store.list(this.types.daemonSets).items.map(objectKey);
  }

  reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const ds = this.store.tryGet(this.types.daemonSets, namespace, name);
    if (!ds || isDeleting(ds)) return;
    const spec = rec(ds.spec);
    const template = spec.template;
    const hash = templateHash(template);
    const templateSpec = rec(rec(template).spec);
    const nodeSelector = stringMap(templateSpec.nodeSelector);
    const selectorOk = matchesSelector(spec.selector, stringMap(rec(rec(template).metadata).labels));

    const nodes: DsNode[] = this.store.list(this.types.nodes).items.map((n) => {
      const mayStay = !isDeleting(n) && matchesLabels(nodeSelector, labelsOf(n));
      return { name: n.metadata.name ?? '', mayStay, shouldRun: mayStay && isNodeReady(n) && isNodeSchedulable(n) };
    });
    const toDsPod = (p: KubeObject): DsPod => ({
      name: p.metadata.name ?? '', nodeName: podNodeName(p) ?? '', current: labelsOf(p)[CONTROLLER_REVISION_HASH] === hash,
      ready: isPodReady(p), deleting: isDeleting(p), created: p.metadata.creationTimestamp ?? '',
    });

    if (selectorOk) {
      for (const p of this.owned(ds)) {
        if (!matchesSelector(spec.selector, labelsOf(p))) releaseFromOwner(this.store, this.types.pods, p, ds.metadata.uid ?? '');
        else if (isTerminated(p) && !isDeleting(p)) deleteIfPresent(this.store, this.types.pods, p);
      }
      const owned = this.owned(ds);
      const strategy = rec(spec.updateStrategy);
      const wanted = nodes.filter((n) => n.shouldRun).length;
      const maxUnavailable = Math.max(1, scaledValue(rec(strategy.rollingUpdate).maxUnavailable, wanted, true, 1));
      const plan = planDaemonSet(nodes, owned.map(toDsPod), { maxUnavailable, onDelete: strategy.type === 'OnDelete' });
      for (const podName of plan.delete) {
        const p = owned.find((x) => x.metadata.name === podName);
        if (p) deleteIfPresent(this.store, this.types.pods, p);
      }
      for (const nodeName of plan.createOn) {
        this.store.create(this.types.pods, podFromTemplate(ds, template, CONTROLLER_REVISION_HASH, hash, { generateName: `${name}-`, nodeName }));
      }
    }
    const status = daemonSetStatus(nodes, this.owned(ds).filter((p) => !isTerminated(p)).map(toDsPod), ds.metadata.generation ?? 0);
    writeStatus(this.store, this.types.daemonSets, ds, status);
  }

  private owned(ds: KubeObject): KubeObject[] {
    return this.store.list(this.types.pods, {
      namespace: ds.metadata.namespace, predicate: (p) => isControlledBy(p, ds.metadata.uid),
    }).items;
  }
}
