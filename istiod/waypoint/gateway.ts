// A Gateway object (as the API server returns it) → the waypoint istiod understands (pure):
// only Gateways of class istio-waypoint are waypoints. Everything wrong with one is reported with
// its field path: no HBONE listener on 15008, an unknown istio.io/waypoint-for value (service is
// used instead), a name that cannot name the waypoint's Service, no uid to own objects with.
// `ready` is left false here; the controller fills it from the waypoint's pods.

import { WAYPOINT_FOR, type WaypointFor } from '../../pkg/api/waypoint-types';
import type { MeshPolicy } from '../kube/mesh-types';
import { GATEWAY_CLASS_WAYPOINT, WAYPOINT_FOR_LABEL, WAYPOINT_HBONE_PORT, type WaypointGateway } from './types';

export interface ParsedWaypoint {
  readonly gateway: WaypointGateway;
  /** False when istiod cannot create the waypoint's objects at all (bad name, no uid). */
  readonly deployable: boolean;
}

export const LISTENER_PROBLEM = `spec.listeners: a waypoint needs a listener with protocol HBONE on port ${WAYPOINT_HBONE_PORT}`;
/** Service names are DNS-1035 labels; the waypoint's Service, Deployment and labels carry the Gateway's name. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_REPORTED = 64;

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A value quoted for a message, cut short so a hostile object cannot flood logs and status. */
function quoted(v: string): string {
  return JSON.stringify(v.length > MAX_REPORTED ? `${v.slice(0, MAX_REPORTED)}…` : v);
}

function hasHboneListener(spec: Record<string, unknown>): boolean {
  const listeners = Array.isArray(spec.listeners) ? spec.listeners : [];
  return listeners.some((l) => {
    const listener = record(l);
    return listener.protocol === 'HBONE' && listener.port === WAYPOINT_HBONE_PORT;
  });
}

function waypointForOf(labels: Record<string, unknown>, problems: string[]): WaypointFor {
  const raw = labels[WAYPOINT_FOR_LABEL];
  if (raw === undefined) return 'service';
  const value = typeof raw === 'string' ? raw : String(raw);
  if ((WAYPOINT_FOR as readonly string[]).includes(value)) return value as WaypointFor;
  problems.push(`metadata.labels["${WAYPOINT_FOR_LABEL}"]: ${quoted(value)} is not one of ${WAYPOINT_FOR.join(', ')} (using service)`);
  return 'service';
}

/** Whether the object is a Gateway of class istio-waypoint. */
export function isWaypointGateway(object: unknown): boolean {
  return record(record(object).spec).gatewayClassName === GATEWAY_CLASS_WAYPOINT;
}

/** The waypoint a Gateway describes, or undefined when it is not of class istio-waypoint. */
export function parseWaypointGateway(policy: MeshPolicy): ParsedWaypoint | undefined {
  if (!isWaypointGateway(policy.object)) return undefined;
  const object = record(policy.object);
  const meta = record(object.metadata);
  const spec = record(object.spec);
  const problems: string[] = [];
  let deployable = true;
  if (!DNS_1035_LABEL.test(policy.name)) {
    problems.push(`metadata.name: ${quoted(policy.name)} cannot name the waypoint's Service `
      + '(lowercase letters, digits and "-", starting with a letter, at most 63 characters)');
    deployable = false;
  } else if (policy.name === 'none') {
    problems.push('metadata.name: "none" is reserved (istio.io/use-waypoint=none means "no waypoint"), so nothing can bind to it');
  }
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  if (uid === '') {
    problems.push('metadata.uid: missing, so istiod cannot own the waypoint\'s Deployment, Service and ServiceAccount');
    deployable = false;
  }
  if (!hasHboneListener(spec)) problems.push(LISTENER_PROBLEM);
  const waypointFor = waypointForOf(record(meta.labels), problems);
  return {
    gateway: { namespace: policy.namespace, name: policy.name, uid, generation: policy.generation, waypointFor, ready: false, problems },
    deployable,
  };
}
