// The `security` part of one waypoint's WaypointConfig (pure over RouteInputs): the mesh's path
// normalization, and the AuthorizationPolicies and RequestAuthentications in force whose targetRefs
// resolve to this waypoint — its Gateway (same namespace) or the istio-waypoint GatewayClass (from
// the root namespace) apply to every request (`targets.all`); a Service of the policy's namespace
// bound to this waypoint adds that Service's Address key. ServiceEntry refs are ignored. Policies
// are sorted by namespace then name, Service keys sorted and deduplicated.

import type { L7Policy, PolicyTargets, RequestAuthn, WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { DEFAULT_PATH_NORMALIZATION } from '../../pkg/api/waypoint-security-types';
import type { WaypointGateway } from '../waypoint/types';
import { GATEWAY_CLASS_WAYPOINT } from '../waypoint/types';
import { DEFAULT_ROOT_NAMESPACE, type RouteInputs } from './inputs';
import { serviceKey } from './resolve';
import type { Attached } from './security-state';

/** Where a policy's refs land on this waypoint, or undefined when none does. */
export function targetsAt(inputs: RouteInputs, gateway: WaypointGateway, policy: Attached): PolicyTargets | undefined {
  const waypoint = `${gateway.namespace}/${gateway.name}`;
  const rootNamespace = inputs.settings.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  let all = false;
  const services = new Set<string>();
  for (const ref of policy.refs) {
    if (ref.kind === 'Gateway') {
      if (ref.name === gateway.name && policy.namespace === gateway.namespace) all = true;
    } else if (ref.kind === 'GatewayClass') {
      if (ref.name === GATEWAY_CLASS_WAYPOINT && policy.namespace === rootNamespace) all = true;
    } else if (ref.kind === 'Service') {
      if (inputs.serviceWaypoint(policy.namespace, ref.name) === waypoint) {
        services.add(serviceKey({ namespace: policy.namespace, name: ref.name }, inputs.settings.clusterDomain));
      }
    }
  }
  if (!all && services.size === 0) return undefined;
  return { all, services: [...services].sort() };
}

function byNamespaceThenName(a: { readonly namespace: string; readonly name: string }, b: { readonly namespace: string; readonly name: string }): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The waypoint's security config; `services` are the bound Services ("ns/name"). */
export function buildWaypointSecurity(inputs: RouteInputs, gateway: WaypointGateway, services: readonly string[]): WaypointSecurity {
  const near = inputs.attachedSecurity(gateway.namespace, gateway.name, services);
  const authorization: L7Policy[] = [];
  for (const p of near.authorization) {
    const targets = targetsAt(inputs, gateway, p);
    if (targets) authorization.push({ name: p.name, namespace: p.namespace, action: p.action, dryRun: p.dryRun, targets, rules: p.rules });
  }
  const authentication: RequestAuthn[] = [];
  for (const a of near.authentication) {
    const targets = targetsAt(inputs, gateway, a);
    if (targets) authentication.push({ name: a.name, namespace: a.namespace, targets, rules: a.rules });
  }
  return {
    pathNormalization: inputs.settings.pathNormalization ?? DEFAULT_PATH_NORMALIZATION,
    authorization: authorization.sort(byNamespaceThenName),
    authentication: authentication.sort(byNamespaceThenName),
  };
}
