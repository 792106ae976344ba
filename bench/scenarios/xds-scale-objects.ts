// The Kubernetes objects of the xds-scale scenario, as plain manifests (pure): ambient namespaces,
// pods spread over the simulated nodes with addresses from 198.18.0.0/16, one selector Service per
// group of ten pods with a VIP from 198.19.0.0/16, the node objects and the ztunnel pods whose
// tokens the simulated xDS clients present, the AuthorizationPolicies the policy changes write
// (L4 attributes only, so ztunnel enforces them) — and the xDS resource names istiod gives them.

export type Json = Record<string, unknown>;

export const CLUSTER_ID = 'Kubernetes';
export const DOMAIN_SUFFIX = 'cluster.local';
/** istiod's trust domain (its TRUST_DOMAIN setting in this scenario). */
export const TRUST_DOMAIN = 'cluster.local';
export const ISTIO_NAMESPACE = 'istio-system';
export const ZTUNNEL_ACCOUNT = 'ztunnel';
/** Pods per Service (one selector Service per group). */
export const GROUP_SIZE = 10;
/** Namespaces the pods are spread over (round robin by group). */
export const NAMESPACE_COUNT = 10;
export const CONTAINER_PORT = 8080;

const MAX_POD_INDEX = 255 * 254 - 1;
const MAX_VIP_INDEX = 256 * 254 - 1;

/** One pod as planned: where it lives and what it is called. */
export interface PodPlan {
  readonly index: number;
  readonly name: string;
  readonly namespace: string;
  readonly group: number;
  readonly nodeName: string;
  readonly ip: string;
}

export interface ServicePlan {
  readonly name: string;
  readonly namespace: string;
  /** The group of pods it selects (label app=app-<group>). */
  readonly group: number;
  readonly vip: string;
}

/** The pod address for an index: 198.18.1.1 … 198.18.255.254 (never outside 198.18.0.0/15). */
export function podIp(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_POD_INDEX) throw new RangeError(`pod index ${index} outside 0..${MAX_POD_INDEX}`);
  return `198.18.${1 + Math.floor(index / 254)}.${1 + (index % 254)}`;
}

/** The Service VIP for an index: 198.19.0.1 … 198.19.255.254. */
export function serviceVip(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_VIP_INDEX) throw new RangeError(`service index ${index} outside 0..${MAX_VIP_INDEX}`);
  return `198.19.${Math.floor(index / 254)}.${1 + (index % 254)}`;
}

/** The node agent address of node k (1-based): 198.18.0.(10+k), as the local cluster's address plan. */
export function nodeIp(k: number): string {
  if (!Number.isSafeInteger(k) || k < 1 || k > 240) throw new RangeError(`node number ${k} outside 1..240`);
  return `198.18.0.${10 + k}`;
}

export const nodeName = (k: number): string => `node${k}`;
export const ztunnelPodName = (k: number): string => `ztunnel-${nodeName(k)}`;
export const namespaceName = (i: number): string => `scale-${i}`;
export const groupLabel = (group: number): string => `app-${group}`;

/** The regular pod number `index`: group index/10, namespace by group, node round robin. */
export function planPod(index: number, nodes: number, group = Math.floor(index / GROUP_SIZE), name = `pod-${index}`): PodPlan {
  return {
    index,
    name,
    namespace: namespaceName(group % NAMESPACE_COUNT),
    group,
    nodeName: nodeName((index % nodes) + 1),
    ip: podIp(index),
  };
}

/** The Service of a group (`svc-<group>`), or another one selecting it (`name`), VIP by `vipIndex`. */
export function planService(group: number, vipIndex = group, name = `svc-${group}`): ServicePlan {
  return { name, namespace: namespaceName(group % NAMESPACE_COUNT), group, vip: serviceVip(vipIndex) };
}

/** The Address resource name of a pod's Workload. */
export function workloadResourceName(namespace: string, pod: string): string {
  return `${CLUSTER_ID}//Pod/${namespace}/${pod}`;
}

/** The Address resource name of a Service. */
export function serviceResourceName(namespace: string, service: string): string {
  return `${namespace}/${service}.${namespace}.svc.${DOMAIN_SUFFIX}`;
}

export function namespaceManifest(name: string, ambient: boolean): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(ambient ? { labels: { 'istio.io/dataplane-mode': 'ambient' } } : {}) } };
}

export function nodeManifest(k: number): Json {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName(k) } };
}

/** The pod object as created (no IP yet: the status write gives it one). */
export function podManifest(p: PodPlan): Json {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: p.name, labels: { app: groupLabel(p.group) } },
    spec: {
      nodeName: p.nodeName,
      serviceAccountName: 'default',
      containers: [{ name: 'app', image: 'bench/app', ports: [{ name: 'http', containerPort: CONTAINER_PORT }] }],
    },
  };
}

/** The status a kubelet would write for a running, ready pod at `ip`. */
export function runningStatus(ip: string): Json {
  return { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } };
}

export function serviceManifest(s: ServicePlan): Json {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: s.name },
    spec: {
      selector: { app: groupLabel(s.group) },
      clusterIP: s.vip, clusterIPs: [s.vip],
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}

/** The node agent pod on node k (no IP: host-network agents are not Workloads here either). */
export function ztunnelPodManifest(k: number): Json {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: ztunnelPodName(k), labels: { app: 'ztunnel' } },
    spec: { nodeName: nodeName(k), serviceAccountName: ZTUNNEL_ACCOUNT, containers: [{ name: 'istio-proxy', image: 'ambit/ztunnel' }] },
  };
}

/** A TokenRequest for the ztunnel account bound to its pod, audience istio-ca (what ztunnel's projected token holds). */
export function ztunnelTokenRequest(k: number, podUid: string, expirationSeconds: number): Json {
  return {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { audiences: ['istio-ca'], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: ztunnelPodName(k), uid: podUid } },
  };
}

/** The Authorization resource name of an AuthorizationPolicy (`<namespace>/<name>`). */
export function authorizationResourceName(namespace: string, policy: string): string {
  return `${namespace}/${policy}`;
}

/** The path AuthorizationPolicies of a namespace are created under. */
export function authorizationPoliciesPath(namespace: string): string {
  return `/apis/security.istio.io/v1/namespaces/${namespace}/authorizationpolicies`;
}

/** The Istio security CRDs istiod watches (files in manifests/crds). */
export const SECURITY_CRD_FILES = ['authorizationpolicies.security.istio.io.yaml', 'peerauthentications.security.istio.io.yaml'] as const;

/**
 * A namespace-wide AuthorizationPolicy (no selector: every workload of the namespace; scope
 * NAMESPACE): DENY a namespace outside the bench on one port.
 */
export function namespacePolicyManifest(name: string): Json {
  return {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
    metadata: { name },
    spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['bench-outside'] } }], to: [{ operation: { ports: ['9999'] } }] }] },
  };
}

/**
 * An AuthorizationPolicy selecting the pods of `group` (scope WORKLOAD_SELECTOR; the selected
 * Workloads list it): ALLOW the namespace's default service account on the container port.
 */
export function selectorPolicyManifest(name: string, namespace: string, group: number): Json {
  return {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: groupLabel(group) } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: [`${TRUST_DOMAIN}/ns/${namespace}/sa/default`] } }], to: [{ operation: { ports: [String(CONTAINER_PORT)] } }] }],
    },
  };
}

/** The xDS node id ztunnel on node k presents (Istio's format). */
export function ztunnelNodeId(k: number): string {
  return `ztunnel~${nodeIp(k)}~${ztunnelPodName(k)}.${ISTIO_NAMESPACE}~${ISTIO_NAMESPACE}.svc.${DOMAIN_SUFFIX}`;
}
