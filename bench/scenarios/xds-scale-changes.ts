// The writes behind each change kind of xds-scale-plan.ts: each one takes t0 on the machine's wall
// clock just before the write that makes the change visible, and says which Address names every
// client must then apply (or remove). Groups are picked by a fixed stride, so runs repeat.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { wallClockMs } from '../agents/xds-clients-protocol';
import type { Population } from './xds-scale-cluster';
import { serviceResourceName, workloadResourceName } from './xds-scale-objects';
import { ChangeKind } from './xds-scale-plan';
import type { ChangeExpectation } from './xds-scale-trackers';

/** Pod indexes for pods that changes add (far above the regular ones, still inside 198.18.0.0/16). */
const EXTRA_POD_BASE = 50_000;

/** A group for change `id`: a stride over the groups, different per kind so kinds do not pile up on one group. */
export function pickGroup(id: number, salt: number, groups: number): number {
  if (groups <= 0) throw new RangeError('no groups to pick from');
  return (id * 7919 + salt * 104_729) % groups;
}

export class ChangeWriter {
  private extra = 0;

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
      case ChangeKind.PolicyApplied:
        throw new MeshError(ErrorCode.InvalidArgument, 'an AuthorizationPolicy change cannot be measured yet: istiod has no policy source');
    }
    throw new MeshError(ErrorCode.InvalidArgument, `unknown change kind ${String(kind)}`);
  }
}
