// The status istiod reports on a waypoint Gateway (pure): Accepted (the Gateway is a valid
// waypoint, or InvalidParameters with every problem), Programmed (a waypoint pod is Ready, or
// NoReadyReplicas) and, once Programmed, the waypoint Service's hostname in status.addresses.
// Conditions carry observedGeneration; lastTransitionTime moves only when a condition's status
// flips. `statusToWrite` returns nothing when the stored status already says the same, so a status
// write (which comes back as a watch event) never starts a write loop.

import type { MeshCondition } from '../kube/mesh-types';
import { waypointHostname } from './binding';
import type { WaypointGateway } from './types';

export interface GatewayAddressStatus {
  readonly type: string;
  readonly value: string;
}

export interface GatewayStatus {
  readonly conditions: readonly MeshCondition[];
  readonly addresses: readonly GatewayAddressStatus[];
}

export const NOT_READY_MESSAGE = 'waiting for the waypoint Deployment to have a ready pod';

type Wanted = Omit<MeshCondition, 'observedGeneration' | 'lastTransitionTime'>;

function wantedConditions(gw: WaypointGateway): Wanted[] {
  const accepted: Wanted = gw.problems.length === 0
    ? { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'the Gateway is a valid waypoint' }
    : { type: 'Accepted', status: 'False', reason: 'InvalidParameters', message: gw.problems.join('; ') };
  const programmed: Wanted = gw.ready
    ? { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'the waypoint Deployment has a ready pod' }
    : { type: 'Programmed', status: 'False', reason: 'NoReadyReplicas', message: NOT_READY_MESSAGE };
  return [accepted, programmed];
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `status.addresses` as stored (malformed entries dropped). */
export function storedAddresses(object: unknown): GatewayAddressStatus[] {
  const list = record(record(object).status).addresses;
  if (!Array.isArray(list)) return [];
  return list.map(record).filter((a) => typeof a.value === 'string')
    .map((a) => ({ type: typeof a.type === 'string' ? a.type : 'IPAddress', value: a.value as string }));
}

const sameCondition = (a: MeshCondition, b: MeshCondition): boolean => a.type === b.type && a.status === b.status
  && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

/** The status the Gateway should have now, with transition times carried over from `stored`. */
export function desiredStatus(gw: WaypointGateway, stored: readonly MeshCondition[], domainSuffix: string, now: Date): GatewayStatus {
  const conditions = wantedConditions(gw).map((c) => {
    const before = stored.find((s) => s.type === c.type);
    const since = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now.toISOString();
    return { ...c, observedGeneration: gw.generation, lastTransitionTime: since };
  });
  const addresses = gw.ready ? [{ type: 'Hostname', value: waypointHostname(gw, domainSuffix) }] : [];
  return { conditions, addresses };
}

/** The status to write, or undefined when the stored one already says the same. */
export function statusToWrite(gw: WaypointGateway, stored: { readonly conditions: readonly MeshCondition[]; readonly object: unknown },
  domainSuffix: string, now: Date): GatewayStatus | undefined {
  const wanted = desiredStatus(gw, stored.conditions, domainSuffix, now);
  const addresses = storedAddresses(stored.object);
  const sameConditions = wanted.conditions.length === stored.conditions.length
    && wanted.conditions.every((w, i) => { const s = stored.conditions[i]; return s !== undefined && sameCondition(w, s); });
  const sameAddresses = wanted.addresses.length === addresses.length
    && wanted.addresses.every((w, i) => addresses[i]?.type === w.type && addresses[i]?.value === w.value);
  return sameConditions && sameAddresses ? undefined : wanted;
}
