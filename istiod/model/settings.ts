// The settings every ambient-model derivation reads: which cluster the workloads belong to, the
// mesh trust domain, and the DNS suffix of Service hostnames.

export interface ModelSettings {
  /** Prefix of workload uids and `Workload.clusterId` (Istio's default `Kubernetes`). */
  readonly clusterId: string;
  readonly trustDomain: string;
  /** Service hostnames are `<name>.<ns>.svc.<domainSuffix>`. */
  readonly domainSuffix: string;
}

export const DEFAULT_MODEL_SETTINGS: ModelSettings = Object.freeze({
  clusterId: 'Kubernetes',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
});

/** Settings with defaults for what is not given. */
export function modelSettings(partial: Partial<ModelSettings> = {}): ModelSettings {
  return Object.freeze({ ...DEFAULT_MODEL_SETTINGS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) });
}

export function serviceHostname(namespace: string, name: string, settings: ModelSettings): string {
  return `${name}.${namespace}.svc.${settings.domainSuffix}`;
}
