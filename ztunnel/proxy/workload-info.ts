// What the proxies derive from a Workload, computed once per workload object (the store hands out
// immutable objects, so a WeakMap keyed by the object is a safe cache): its SPIFFE identity and
// the baggage header it sends. Pure; no sockets.

import { buildBaggage } from '../../pkg/hbone/headers';
import { DEFAULT_TRUST_DOMAIN, type Service, type Workload, type WorkloadType } from '../../pkg/api/workload-types';
import { spiffeId, tryParseSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';

const identities = new WeakMap<Workload, SpiffeId | null>();
const baggages = new WeakMap<Workload, string>();
const serviceSans = new WeakMap<Service, readonly SpiffeId[]>();

/** `k8s.<type>.name` baggage key per workload type (as ztunnel's baggage.rs). */
export const WORKLOAD_TYPE_BAGGAGE_KEYS: Readonly<Record<WorkloadType, string>> = Object.freeze({
  DEPLOYMENT: 'k8s.deployment.name',
  CRONJOB: 'k8s.cronjob.name',
  POD: 'k8s.pod.name',
  JOB: 'k8s.job.name',
});

/**
 * The workload's SPIFFE identity (`spiffe://<td>/ns/<ns>/sa/<sa>`), or undefined when its
 * namespace or service account cannot form a valid one. An empty trust domain means the default.
 */
export function workloadIdentity(workload: Workload): SpiffeId | undefined {
  const cached = identities.get(workload);
  if (cached !== undefined) return cached ?? undefined;
  let id: SpiffeId | null;
  try {
    id = spiffeId(workload.trustDomain || DEFAULT_TRUST_DOMAIN, workload.namespace, workload.serviceAccount || 'default');
  } catch {
    id = null;
  }
  identities.set(workload, id);
  return id ?? undefined;
}

/** The identities a Service's endpoints may present besides their own (`subject_alt_names`). */
export function serviceSubjectAltNames(service: Service): readonly SpiffeId[] {
  let sans = serviceSans.get(service);
  if (!sans) {
    sans = service.subjectAltNames.map((san) => tryParseSpiffeId(san)).filter((id): id is SpiffeId => id !== undefined);
    serviceSans.set(service, sans);
  }
  return sans;
}

/** The `baggage` header a workload's connections carry (peer metadata for telemetry). */
export function workloadBaggage(workload: Workload): string {
  let baggage = baggages.get(workload);
  if (baggage === undefined) {
    baggage = buildBaggage([
      ['k8s.cluster.name', workload.clusterId],
      ['k8s.namespace.name', workload.namespace],
      [WORKLOAD_TYPE_BAGGAGE_KEYS[workload.workloadType] ?? 'k8s.pod.name', workload.workloadName || workload.name],
      ['service.name', workload.canonicalName],
      ['service.version', workload.canonicalRevision],
    ]);
    baggages.set(workload, baggage);
  }
  return baggage;
}

/** The address a workload is dialled on (its first IP), or undefined for an address-less one. */
export function workloadAddress(workload: Workload): string | undefined {
  return workload.addresses[0];
}
