// The writes behind each change kind of xds-scale-plan.ts: each one takes t0 on the machine's wall
// clock just before the write that makes the change visible, and says which resource names (of
// which xDS type) every client must then apply or remove. Policy changes are reverted afterwards
// (the policy deleted, timed the same way) so rounds do not accumulate. Groups are picked by a
// fixed stride, so runs repeat.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { wallClockMs } from '../agents/xds-clients-protocol';
import type { Population } from './xds-scale-cluster';
import {
  authorizationResourceName, namespaceName, namespacePolicyManifest, NAMESPACE_COUNT, selectorPolicyManifest, serviceResourceName, workloadResourceName,
} from './xds-scale-objects';
import { ChangeKind } from './xds-scale-plan';
import type { ChangeExpectation } from './xds-scale-trackers';

/** Pod indexes for pods that changes add (far above the regular ones, still inside 198.18.0.0/16). */
const EXTRA_POD_BASE = 50_000;

/** A group for change `id`: a stride over the groups, different per kind so kinds do not pile up on one group. */
export function pickGroup(id: number, salt: number, groups: number): number {
  if (groups <= 0) throw new RangeError('no groups to pick from');
  return (id * 7919 + salt * 104_729) % groups;
}

/** A policy a change created and its revert deletes. */
interface AppliedPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly kind: ChangeKind;
  /** The Workloads a selector policy selects (they list it while it exists). */
  readonly selected: readonly string[];
}

export class ChangeWriter {
  private extra = 0;
  private readonly policies = new Map<number, AppliedPolicy>();

  constructor(private readonly population: Population) {}

  /** Makes change `id` of `kind` among `groups` regular groups; resolves once the write is answered. */
  async apply(kind: ChangeKind, id: number, groups: number): Promise<ChangeExpectation> {
    const pop = this.population;
    switch (kind) {
      case ChangeKind.PodAdded: {
        const seq = this.extra++;
        const p = pop.extraPod(EXTRA_POD_BASE + seq, pickGroup(id, 1, groups));
        await pop.createPod(p);
        const t0 = wallClockMs();
        await pop.makeRunning(p);
        return { id, kind, t0, updated: [workloadResourceName(p.namespace, p.name)], removed: [] };
      }
      case ChangeKind.PodDeleted: {
        for (let step = 0; step < groups; step++) {
          const group = (pickGroup(id, 2, groups) + step) % groups;
          const victim = pop.podsOf(group)[0];
          if (!victim) continue;
          const t0 = wallClockMs();
          await pop.deletePod(victim);
          return { id, kind, t0, updated: [], removed: [workloadResourceName(victim.namespace, victim.name)] };
        }
        throw new MeshError(ErrorCode.NotFound, 'no running pod left to delete');
      }
      case ChangeKind.ServiceAdded: {
        const seq = this.extra++;
        const group = pickGroup(id, 3, groups);
        const s = pop.extraService(group, `extra-svc-${seq}`);
        const selected = pop.podsOf(group).map((p) => workloadResourceName(p.namespace, p.name));
        const t0 = wallClockMs();
        await pop.createService(s);
        return { id, kind, t0, updated: [serviceResourceName(s.namespace, s.name), ...selected], removed: [] };
      }
      case ChangeKind.PolicyApplied: {
        const namespace = namespaceName(pickGroup(id, 4, groups) % NAMESPACE_COUNT);
        const name = `bench-ns-policy-${this.extra++}`;
        const t0 = wallClockMs();
        await pop.createPolicy(namespace, namespacePolicyManifest(name));
        this.policies.set(id, { namespace, name, kind, selected: [] });
        const resource = authorizationResourceName(namespace, name);
        return { id, kind, t0, type: 'Authorization', updated: [resource], removed: [], detail: `${resource}: every workload of ${namespace}` };
      }
      case ChangeKind.SelectorPolicyApplied: {
        for (let step = 0; step < groups; step++) {
          const group = (pickGroup(id, 5, groups) + step) % groups;
          const pods = pop.podsOf(group);
          if (pods.length === 0) continue;
          const namespace = pods[0]?.namespace as string;
          const name = `bench-selector-policy-${this.extra++}`;
          const selected = pods.map((p) => workloadResourceName(p.namespace, p.name));
          const resource = authorizationResourceName(namespace, name);
          const t0 = wallClockMs();
          await pop.createPolicy(namespace, selectorPolicyManifest(name, namespace, group));
          this.policies.set(id, { namespace, name, kind, selected });
          return {
            id, kind, t0, type: 'Authorization', updated: [resource], removed: [],
            workloadPolicies: { workloads: selected, policy: resource, listed: true },
            detail: `${resource}: the ${selected.length} pods of group ${group}`,
          };
        }
        throw new MeshError(ErrorCode.NotFound, 'no group with running pods to select');
      }
    }
    throw new MeshError(ErrorCode.InvalidArgument, `unknown change kind ${String(kind)}`);
  }

  /**
   * Undoes change `change` when its kind is reverted (a policy is deleted; t0 just before the
   * DELETE); undefined when there is nothing to undo.
   */
  async revert(change: { readonly id: number }): Promise<ChangeExpectation | undefined> {
    const applied = this.policies.get(change.id);
    if (!applied) return undefined;
    this.policies.delete(change.id);
    const resource = authorizationResourceName(applied.namespace, applied.name);
    const t0 = wallClockMs();
    await this.population.deletePolicy(applied.namespace, applied.name);
    return {
      id: change.id, kind: applied.kind, t0, type: 'Authorization', updated: [], removed: [resource], detail: `${resource} deleted`,
      ...(applied.selected.length > 0 ? { workloadPolicies: { workloads: applied.selected, policy: resource, listed: false } } : {}),
    };
  }
}
