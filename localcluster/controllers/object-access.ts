// Narrowing accessors over Kubernetes objects as stored (fields are `unknown`): pod phase,
// readiness, addresses, node readiness, owner references and object keys. Pure functions only.

import { isRecord, KubeObject, OwnerReference } from '../apiserver/types';

export type Json = Record<string, unknown>;

export const rec = (v: unknown): Json => (isRecord(v) ? v : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const records = (v: unknown): Json[] => list(v).filter(isRecord);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** String-to-string maps (labels, selectors); anything else becomes an empty map. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(rec(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the work-queue key of an object. */
export const objectKey = (obj: KubeObject): string =>
  (obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name ?? ''}` : obj.metadata.name ?? '');

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export const labelsOf = (obj: KubeObject): Record<string, string> => stringMap(obj.metadata.labels);
export const isDeleting = (obj: KubeObject): boolean => Boolean(obj.metadata.deletionTimestamp);

export const podPhase = (pod: KubeObject): string => str(rec(pod.status).phase) ?? 'Pending';
export const isTerminated = (pod: KubeObject): boolean => ['Succeeded', 'Failed'].includes(podPhase(pod));
/** Neither finished nor on its way out: the pods a workload counts as its own. */
export const isActivePod = (pod: KubeObject): boolean => !isTerminated(pod) && !isDeleting(pod);
export const podNodeName = (pod: KubeObject): string | undefined => str(rec(pod.spec).nodeName) || undefined;

export function conditionStatus(obj: KubeObject, type: string): string | undefined {
  const c = records(rec(obj.status).conditions).find((x) => x.type === type);
  return c ? str(c.status) : undefined;
}

export const isPodReady = (pod: KubeObject): boolean => conditionStatus(pod, 'Ready') === 'True';
export const isNodeReady = (node: KubeObject): boolean => conditionStatus(node, 'Ready') === 'True';
export const isNodeSchedulable = (node: KubeObject): boolean => rec(node.spec).unschedulable !== true;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIpv4 = (s: string): boolean => IPV4.test(s);

/** The pod's IPv4 address from status.podIPs (or podIP), if it has one. */
export function podIpv4(pod: KubeObject): string | undefined {
  const status = rec(pod.status);
  const candidates = [...records(status.podIPs).map((p) => str(p.ip)), str(status.podIP)];
  return candidates.find((ip): ip is string => ip !== undefined && isIpv4(ip));
}

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `obj` is controlled by the object with this uid. */
export const isControlledBy = (obj: KubeObject, uid: string | undefined): boolean =>
  uid !== undefined && controllerRef(obj)?.uid === uid;

export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true,
  };
}

/** Queue keys of the controllers (of a given kind) of an event's object, before and after the change. */
export function controllerKeys(kind: string, ...objs: (KubeObject | undefined)[]): string[] {
  const out = new Set<string>();
  for (const o of objs) {
    const ref = o ? controllerRef(o) : undefined;
    if (o && ref?.kind === kind && o.metadata.namespace) out.add(`${o.metadata.namespace}/${ref.name}`);
  }
  return [...out];
}
