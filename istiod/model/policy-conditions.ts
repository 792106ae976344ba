// The `status.conditions` istiod writes on a security policy (pure): the conditions the policy
// state wants, stamped with observedGeneration and a lastTransitionTime that moves only when a
// condition's status flips — or nothing when the stored conditions already say the same, so a
// status write (which itself comes back as a watch event) never starts a write loop.

import type { MeshCondition } from '../kube/mesh-types';
import type { PolicyStatusView } from '../policy/policy-state';

const same = (a: MeshCondition, b: MeshCondition): boolean => a.type === b.type && a.status === b.status && a.reason === b.reason
  && a.message === b.message && a.observedGeneration === b.observedGeneration;

/** The conditions to write, or undefined when `stored` is already up to date. */
export function conditionsToWrite(stored: readonly MeshCondition[], view: PolicyStatusView, now: Date): MeshCondition[] | undefined {
  const wanted: MeshCondition[] = view.conditions.map((c) => {
    const before = stored.find((s) => s.type === c.type);
    const since = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now.toISOString();
    return { type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: view.generation, lastTransitionTime: since };
  });
  if (wanted.length === stored.length && wanted.every((w, i) => { const s = stored[i]; return s !== undefined && same(w, s); })) return undefined;
  return wanted;
}
