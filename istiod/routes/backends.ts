// The concrete backends of one waypoint's config (pure over RouteInputs): one Backend per Service
// port (and DestinationRule subset) that a route, mirror or port default sends to, with the traffic
// policy of the oldest DestinationRule for that Service merged Istio's way — top-level, then the
// port-level settings for the port, then the subset's policy and its port-level settings, each part
// (loadBalancer, connectionPool, outlierDetection) replacing the one below whole. A subset's
// workloads are the pods of the Service's namespace that the Service selects and that carry the
// subset's labels; an unknown subset has none (503 no healthy upstream).

import type { Backend } from '../../pkg/api/waypoint-types';
import { backendName, DEFAULT_CONNECTION_POOL } from '../../pkg/api/waypoint-types';
import { selectorMatches } from '../policy/selector';
import type { ConfigDeps, InForce, RouteInputs } from './inputs';
import { serviceKey, type ServiceName } from './resolve';
import type { DestinationRuleSpec, PolicyParts } from './types';

/** The merged policy parts for a port (and subset) of a DestinationRule. */
export function effectivePolicy(dr: DestinationRuleSpec | undefined, port: number, subset?: string): PolicyParts {
  if (!dr) return {};
  const s = subset === undefined ? undefined : dr.subsets.find((x) => x.name === subset);
  const layers: (PolicyParts | undefined)[] = [dr.policy, dr.policy?.ports.get(port), s?.policy, s?.policy?.ports.get(port)];
  let out: PolicyParts = {};
  for (const layer of layers) {
    if (!layer) continue;
    out = {
      ...out,
      ...(layer.lb ? { lb: layer.lb } : {}),
      ...(layer.pool ? { pool: layer.pool } : {}),
      ...(layer.outlier ? { outlier: layer.outlier } : {}),
    };
  }
  return out;
}

/** Uids of the pods a Service selects that carry `labels` (sorted). */
export function subsetWorkloads(inputs: RouteInputs, svc: ServiceName, labels: Readonly<Record<string, string>>): string[] {
  const service = inputs.service(svc.namespace, svc.name);
  const selector = service?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const out: string[] = [];
  for (const pod of inputs.pods(svc.namespace)) {
    if (selectorMatches(selector, pod.labels) && selectorMatches(labels, pod.labels)) {
      out.push(`${inputs.settings.clusterId}//Pod/${pod.namespace}/${pod.name}`);
    }
  }
  return out.sort();
}

export class BackendTable {
  private readonly backends = new Map<string, Backend>();

  constructor(private readonly inputs: RouteInputs, private readonly deps: ConfigDeps) {}

  /** The oldest DestinationRule in force for a Service. */
  rule(svc: ServiceName): InForce<DestinationRuleSpec> | undefined {
    const rules = this.inputs.destinationRules(svc.namespace, svc.name);
    for (const r of rules) this.deps.namespaces.add(r.namespace);
    return rules[0];
  }

  /** The backend's name, creating it on first use. */
  ref(svc: ServiceName, port: number, subset?: string): string {
    const key = serviceKey(svc, this.inputs.settings.clusterDomain);
    const name = backendName(key, port, subset);
    if (this.backends.has(name)) return name;
    this.deps.namespaces.add(svc.namespace);
    const dr = this.rule(svc);
    const parts = effectivePolicy(dr?.spec, port, subset);
    let workloadUids: string[] | undefined;
    if (subset !== undefined) {
      this.deps.podNamespaces.add(svc.namespace);
      const s = dr?.spec.subsets.find((x) => x.name === subset);
      workloadUids = s ? subsetWorkloads(this.inputs, svc, s.labels) : [];
    }
    this.backends.set(name, {
      name, serviceKey: key, port,
      ...(subset !== undefined ? { subset } : {}),
      ...(workloadUids ? { workloadUids } : {}),
      lb: parts.lb ?? { kind: 'round_robin' },
      pool: parts.pool ?? DEFAULT_CONNECTION_POOL,
      ...(parts.outlier ? { outlier: parts.outlier } : {}),
      policySource: dr ? `DestinationRule ${dr.namespace}/${dr.name}` : '',
    });
    return name;
  }

  /** Every backend, sorted by name. */
  list(): Backend[] {
    return [...this.backends.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
