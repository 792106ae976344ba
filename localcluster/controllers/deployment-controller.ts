// The Deployment controller: owns pods directly (no ReplicaSets), labelled with the template's
// `pod-template-hash`; applies `planDeployment` and writes the status `kubectl rollout status`
// reads. Pod changes requeue their owning Deployment.

import { timestamp } from '../apiserver/object-meta';
import { Store, StoreEvent } from '../apiserver/store';
import { KubeObject } from '../apiserver/types';
import { Controller } from './controller';
import { deploymentStatus, PlanPod, planDeployment, rolloutParams } from './deployment-plan';
import { matchesSelector } from './label-selector';
import {
  controllerKeys, isActivePod, isControlledBy, isDeleting, isPodReady, isTerminated, labelsOf, objectKey,
  podNodeName, rec, splitKey, stringMap,
} from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';
import { deleteIfPresent, releaseFromOwner, writeStatus } from './store-writes';
import { podFromTemplate, templateHash } from './workload-pods';

export const POD_TEMPLATE_HASH = 'pod-template-hash';

const toPlanPod = (hash: string) => (p: KubeObject): PlanPod => ({
  name: p.metadata.name ?? '',
  current: labelsOf(p)[POD_TEMPLATE_HASH] === hash,
  ready: isPodReady(p),
  scheduled: podNodeName(p) !== undefined,
  created: p.metadata.creationTimestamp ?? '',
});

export class DeploymentController implements Controller {
  readonly name = 'deployments';

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys) {}

  keysFor(e: StoreEvent): string[] {
    if (e.typeKey === this.keys.deployments) return [objectKey(e.object)];
    if (e.typeKey === this.keys.pods) return controllerKeys('Deployment', e.object, e.old);
    return [];
  }

  allKeys(): string[] {
    return this.store.list(this.types.deployments).items.map(objectKey);
  }

  reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const d = this.store.tryGet(this.types.deployments, namespace, name);
    if (!d || isDeleting(d)) return;
    const spec = rec(d.spec);
    const template = spec.template;
    const hash = templateHash(template);
    const params = rolloutParams(spec);
    const status = (pods: KubeObject[], failure?: { reason: string; message: string }): Record<string, unknown> => deploymentStatus({
      name, hash, generation: d.metadata.generation ?? 0, params, pods: pods.map(toPlanPod(hash)),
      previous: d.status, now: timestamp(), failure,
    });

    const templateLabels = stringMap(rec(rec(template).metadata).labels);
    if (!matchesSelector(spec.selector, templateLabels)) {
      writeStatus(this.store, this.types.deployments, d, status(this.owned(d).filter(isActivePod), {
        reason: 'InvalidSelector', message: '`selector` does not match template `labels`',
      }));
      return;
    }

    for (const p of this.owned(d)) {
      if (!matchesSelector(spec.selector, labelsOf(p))) releaseFromOwner(this.store, this.types.pods, p, d.metadata.uid ?? '');
      else if (isTerminated(p) && !isDeleting(p)) deleteIfPresent(this.store, this.types.pods, p);
    }

    const owned = this.owned(d);
    const active = owned.filter(isActivePod);
    const plan = planDeployment(active.map(toPlanPod(hash)), params);
    const oldTerminating = owned.some((p) => isDeleting(p) && labelsOf(p)[POD_TEMPLATE_HASH] !== hash);
    if (params.recreate && oldTerminating) plan.create = 0;
    for (const podName of plan.delete) {
      const p = active.find((x) => x.metadata.name === podName);
      if (p) deleteIfPresent(this.store, this.types.pods, p);
    }
    for (let i = 0; i < plan.create; i++) {
      this.store.create(this.types.pods, podFromTemplate(d, template, POD_TEMPLATE_HASH, hash, { generateName: `${name}-${hash}-` }));
    }
    writeStatus(this.store, this.types.deployments, d, status(this.owned(d).filter(isActivePod)));
  }

  private owned(d: KubeObject): KubeObject[] {
    return this.store.list(this.types.pods, {
      namespace: d.metadata.namespace, predicate: (p) => isControlledBy(p, d.metadata.uid),
    }).items;
  }
}
