// The narrow, plain-data view of the Kubernetes API that istiod's ambient model needs (`MeshKube`):
// list+watch of Namespaces, Pods, Services and EndpointSlices, reduced to the fields the
// Workload/Service derivations read, plus list+watch of the security policies (incl.
// RequestAuthentication), Gateways and traffic resources (kept whole: the converters validate
// them), their status writes, and the objects istiod owns for waypoints. Implemented over
// client-node (mesh-client.ts) and in memory for tests (memory-kube.ts).

import type { WatchHandlers, Watcher } from './types';

export type Labels = Readonly<Record<string, string>>;

export interface MeshNamespace {
  readonly name: string;
  readonly labels: Labels;
}

export interface MeshOwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** `controller: true` on the reference (the managing controller). */
  readonly controller: boolean;
}

export interface MeshPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** `spec.serviceAccountName`, `default` when unset. */
  readonly serviceAccountName: string;
  /** `spec.nodeName`; undefined while unscheduled. */
  readonly nodeName?: string;
  readonly hostNetwork: boolean;
  /** `status.podIPs` (falling back to `status.podIP`), primary first; empty until assigned. */
  readonly podIPs: readonly string[];
  /** `status.phase` (Pending, Running, Succeeded, Failed, Unknown). */
  readonly phase?: string;
  /** The `Ready` condition is `True`. */
  readonly ready: boolean;
  /** Named container ports (all containers): name → containerPort. */
  readonly containerPorts: Readonly<Record<string, number>>;
  readonly ownerReferences: readonly MeshOwnerRef[];
  /** `metadata.deletionTimestamp` is set. */
  readonly deleting: boolean;
}

export interface MeshServicePort {
  readonly name: string;
  readonly port: number;
  /** A number, or the name of a container port (unresolved here). */
  readonly targetPort: number | string;
  /** TCP, UDP or SCTP. */
  readonly protocol: string;
  readonly appProtocol?: string;
}

export interface MeshService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** `spec.selector`; undefined (or empty) means the Service's endpoints are managed by hand. */
  readonly selector?: Labels;
  /** `spec.clusterIPs` (falling back to `spec.clusterIP`); `["None"]` for headless Services. */
  readonly clusterIPs: readonly string[];
  /** ClusterIP (default), NodePort, LoadBalancer or ExternalName. */
  readonly type: string;
  readonly ports: readonly MeshServicePort[];
}

export interface MeshEndpointRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface MeshEndpoint {
  readonly addresses: readonly string[];
  /** `conditions.ready`; an absent condition counts as ready (EndpointSlice API rule). */
  readonly ready: boolean;
  readonly targetRef?: MeshEndpointRef;
}

export interface MeshEndpointSlicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly appProtocol?: string;
}

export interface MeshEndpointSlice {
  readonly namespace: string;
  readonly name: string;
  /** The `kubernetes.io/service-name` label; '' when absent. */
  readonly serviceName: string;
  /** IPv4, IPv6 or FQDN. */
  readonly addressType: string;
  readonly endpoints: readonly MeshEndpoint[];
  readonly ports: readonly MeshEndpointSlicePort[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type MeshPolicyKind = 'AuthorizationPolicy' | 'PeerAuthentication';
/**
 * Every custom kind istiod watches whole: the security policies ztunnel's model reads, the waypoint
 * and traffic kinds, and RequestAuthentication (read by the waypoint config index only).
 */
export type MeshObjectKind = MeshPolicyKind | 'RequestAuthentication' | 'Gateway' | 'HTTPRoute' | 'GRPCRoute' | 'VirtualService' | 'DestinationRule';

export interface ObjectResource { readonly group: string; readonly version: string; readonly plural: string }

/** API coordinates of the kinds istiod watches whole. */
export const OBJECT_RESOURCES: Readonly<Record<MeshObjectKind, ObjectResource>> = {
  AuthorizationPolicy: { group: 'security.istio.io', version: 'v1', plural: 'authorizationpolicies' },
  PeerAuthentication: { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' },
  RequestAuthentication: { group: 'security.istio.io', version: 'v1', plural: 'requestauthentications' },
  Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  GRPCRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
  VirtualService: { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' },
  DestinationRule: { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' },
};
/** The policy kinds' coordinates (group security.istio.io, version v1). */
export const POLICY_RESOURCES: Readonly<Record<MeshPolicyKind, ObjectResource>> = OBJECT_RESOURCES;

/** An object istiod creates and owns (a waypoint's Deployment, Service, ServiceAccount). */
export interface OwnedObject {
  readonly apiVersion: string;
  readonly kind: 'Deployment' | 'Service' | 'ServiceAccount';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** One `status.conditions` entry. */
export interface MeshCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

/** A security policy object: its key, generation and stored conditions, and the object whole. */
export interface MeshPolicy {
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation (0 when absent). */
  readonly generation: number;
  /** `status.conditions` as stored (malformed entries dropped). */
  readonly conditions: readonly MeshCondition[];
  /** The object as the API server returned it. */
  readonly object: unknown;
}

export interface MeshKube {
  /** Each call starts its own list-then-watch (relist after 410 Gone, backoff after errors). */
  watchNamespaces(handlers: WatchHandlers<MeshNamespace>): Watcher;
  watchPods(handlers: WatchHandlers<MeshPod>): Watcher;
  watchServices(handlers: WatchHandlers<MeshService>): Watcher;
  watchEndpointSlices(handlers: WatchHandlers<MeshEndpointSlice>): Watcher;
  /** Policies of one kind in every namespace; a cluster without the CRD lists none (and keeps retrying). */
  watchPolicies(kind: MeshPolicyKind, handlers: WatchHandlers<MeshPolicy>): Watcher;
  /** Replaces `status.conditions` (a merge patch of the status subresource); 'gone' when the object no longer exists. */
  writePolicyStatus(kind: MeshPolicyKind, namespace: string, name: string, conditions: readonly MeshCondition[]): Promise<'written' | 'gone'>;
  /** Objects of any watched custom kind, kept whole (a missing CRD lists none, warned once). */
  watchObjects(kind: MeshObjectKind, handlers: WatchHandlers<MeshPolicy>): Watcher;
  /** Merge-patches the status subresource with `status` (lists inside it are replaced); 'gone' when the object no longer exists. */
  writeObjectStatus(kind: MeshObjectKind, namespace: string, name: string, status: Readonly<Record<string, unknown>>): Promise<'written' | 'gone'>;
  /** Creates the object, or merge-patches labels, annotations, ownerReferences and spec of the existing one; 'unchanged' when nothing differs. */
  applyOwned(object: OwnedObject): Promise<'created' | 'updated' | 'unchanged'>;
}

export const namespacedKey = (o: { readonly namespace: string; readonly name: string }): string => `${o.namespace}/${o.name}`;
