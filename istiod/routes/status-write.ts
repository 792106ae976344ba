// Turns a wanted StatusView into the status patch to write (pure), or nothing when the stored status
// already says the same — so a status write, which comes back as a watch event, never loops.
// Conditions get observedGeneration and a lastTransitionTime that moves only when their status
// flips. For Gateway API routes only our own status.parents entries (controllerName
// istio.io/mesh-controller) are replaced; other controllers' entries are kept as they are.

import { deepEqual } from '../model/deep-equal';
import { CONTROLLER_NAME } from '../waypoint/types';
import type { RouteCondition, StatusView } from './route-status';

interface StoredCondition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly observedGeneration?: unknown;
  readonly lastTransitionTime?: unknown;
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
const asList = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

function stamp(wanted: readonly RouteCondition[], stored: readonly unknown[], generation: number, now: string): Record<string, unknown>[] {
  return wanted.map((c) => {
    const before: StoredCondition | undefined = stored.map(asRecord).find((s) => s !== undefined && s.type === c.type);
    const since = before && before.status === c.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : now;
    return { type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: generation, lastTransitionTime: since };
  });
}

/** Conditions compared without lastTransitionTime. */
function sameConditions(a: readonly unknown[], b: readonly Record<string, unknown>[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const s = asRecord(x);
    const w = b[i];
    return s !== undefined && w !== undefined && s.type === w.type && s.status === w.status && s.reason === w.reason
      && s.message === w.message && s.observedGeneration === w.observedGeneration;
  });
}

/** The status patch (merged into `status`), or undefined when nothing changes. */
export function statusToWrite(storedStatus: unknown, view: StatusView, now: Date): Readonly<Record<string, unknown>> | undefined {
  const stored = asRecord(storedStatus) ?? {};
  const time = now.toISOString();
  if (view.shape === 'conditions') {
    const before = asList(stored.conditions);
    const conditions = stamp(view.conditions, before, view.generation, time);
    return sameConditions(before, conditions) ? undefined : { conditions };
  }
  const parents = asList(stored.parents);
  const others = parents.filter((p) => asRecord(p)?.controllerName !== CONTROLLER_NAME);
  const ours = parents.filter((p) => asRecord(p)?.controllerName === CONTROLLER_NAME);
  const wanted = view.parents.map((p) => {
    const before = ours.map(asRecord).find((o) => o !== undefined && deepEqual(o.parentRef, p.parentRef));
    return { parentRef: { ...p.parentRef }, controllerName: CONTROLLER_NAME, conditions: stamp(p.conditions, asList(before?.conditions), view.generation, time) };
  });
  const unchanged = wanted.length === ours.length && wanted.every((w, i) => {
    const o = asRecord(ours[i]);
    return o !== undefined && deepEqual(o.parentRef, w.parentRef) && sameConditions(asList(o.conditions), w.conditions);
  });
  return unchanged ? undefined : { parents: [...others, ...wanted] };
}
