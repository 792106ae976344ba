// Endpoint decisions for a Service with a selector: resolve (named) target ports per pod, group
// pods by their resolved port set (one EndpointSlice per group), render slice endpoints and the
// legacy Endpoints subsets, and match desired groups to existing slices to update in place. Pure.

import { KubeObject } from '../apiserver/types';
import {
  isDeleting, isPodReady, isTerminated, num, podIpv4, podNodeName, rec, records, str,
} from './object-access';

export interface ServicePort {
  name: string;
  port: number;
  protocol: string;
  targetPort: number | string;
  appProtocol?: string;
}

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointPod {
  name: string;
  namespace: string;
  uid: string;
  ip: string;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  containerPorts: { name: string; port: number; protocol: string }[];
}

export interface EndpointGroup {
  /** Identity of the port set: equal keys share a slice. */
  key: string;
  ports: SlicePort[];
  pods: EndpointPod[];
}

export function servicePorts(svc: KubeObject): ServicePort[] {
  return records(rec(svc.spec).ports).flatMap((p): ServicePort[] => {
    const port = num(p.port);
    if (port === undefined) return [];
    const target = typeof p.targetPort === 'string' && p.targetPort !== '' ? p.targetPort : num(p.targetPort) ?? port;
    const out: ServicePort = { name: str(p.name) ?? '', port, protocol: str(p.protocol) ?? 'TCP', targetPort: target };
    const appProtocol = str(p.appProtocol);
    if (appProtocol) out.appProtocol = appProtocol;
    return [out];
  });
}

/** The pod as an endpoint, or undefined when it has no IPv4 address or has finished. */
export function endpointPod(pod: KubeObject, publishNotReady: boolean): EndpointPod | undefined {
  const ip = podIpv4(pod);
  if (!ip || isTerminated(pod)) return undefined;
  const terminating = isDeleting(pod);
  const podReady = isPodReady(pod);
  const containerPorts = records(rec(pod.spec).containers).flatMap((c) => records(c.ports)).flatMap((p) => {
    const port = num(p.containerPort);
    return port === undefined ? [] : [{ name: str(p.name) ?? '', port, protocol: str(p.protocol) ?? 'TCP' }];
  });
  const out: EndpointPod = {
    name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', uid: pod.metadata.uid ?? '', ip,
    ready: publishNotReady || (podReady && !terminating), serving: publishNotReady || podReady, terminating, containerPorts,
  };
  const nodeName = podNodeName(pod);
  if (nodeName) out.nodeName = nodeName;
  return out;
}

/** The Service's ports as this pod serves them; a named targetPort the pod lacks is left out. */
export function resolvePorts(ports: readonly ServicePort[], pod: EndpointPod): SlicePort[] {
  return ports.flatMap((p): SlicePort[] => {
    let port: number | undefined;
    if (typeof p.targetPort === 'number') port = p.targetPort;
    else port = pod.containerPorts.find((c) => c.name === p.targetPort && c.protocol === p.protocol)?.port;
    if (port === undefined) return [];
    const out: SlicePort = { name: p.name, port, protocol: p.protocol };
    if (p.appProtocol) out.appProtocol = p.appProtocol;
    return [out];
  });
}

export const portsKey = (ports: readonly SlicePort[]): string =>
  JSON.stringify(ports.map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? '']));

/** Pods grouped by resolved port set; with no pods, one empty placeholder group. Stable order. */
export function groupByPorts(ports: readonly ServicePort[], pods: readonly EndpointPod[]): EndpointGroup[] {
  const groups = new Map<string, EndpointGroup>();
  for (const pod of [...pods].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const resolved = resolvePorts(ports, pod);
    const key = portsKey(resolved);
    const g = groups.get(key) ?? { key, ports: resolved, pods: [] };
    g.pods.push(pod);
    groups.set(key, g);
  }
  if (groups.size === 0) return [{ key: portsKey([]), ports: [], pods: [] }];
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const targetRef = (p: EndpointPod): Record<string, unknown> => ({ kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid });

export function sliceEndpoints(group: EndpointGroup): Record<string, unknown>[] {
  return group.pods.map((p) => {
    const e: Record<string, unknown> = {
      addresses: [p.ip],
      conditions: { ready: p.ready, serving: p.serving, terminating: p.terminating },
    };
    if (p.nodeName) e.nodeName = p.nodeName;
    e.targetRef = targetRef(p);
    return e;
  });
}

/** Legacy Endpoints subsets: terminating pods left out, unready ones under notReadyAddresses. */
export function endpointsSubsets(groups: readonly EndpointGroup[]): Record<string, unknown>[] {
  const subsets: Record<string, unknown>[] = [];
  for (const g of groups) {
    const address = (p: EndpointPod): Record<string, unknown> =>
      ({ ip: p.ip, ...(p.nodeName ? { nodeName: p.nodeName } : {}), targetRef: targetRef(p) });
    const byIp = (a: EndpointPod, b: EndpointPod): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
    const live = g.pods.filter((p) => !p.terminating || p.ready).sort(byIp);
    const ready = live.filter((p) => p.ready).map(address);
    const notReady = live.filter((p) => !p.ready).map(address);
    if (ready.length === 0 && notReady.length === 0) continue;
    const subset: Record<string, unknown> = {};
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (g.ports.length) {
      subset.ports = g.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    }
    subsets.push(subset);
  }
  return subsets;
}

export interface SliceAssignment {
  /** Group key → existing slice name to update, or undefined to create a new slice. */
  assign: Map<string, string | undefined>;
  remove: string[];
}

/** Reuses existing slices: same port set first, then any leftover slice; the rest are removed. */
export function assignSlices(existing: readonly { name: string; key: string }[], groups: readonly EndpointGroup[]): SliceAssignment {
  const free = [...existing].sort((a, b) => (a.name < b.name ? -1 : 1));
  const assign = new Map<string, string | undefined>();
  for (const g of groups) {
    const i = free.findIndex((s) => s.key === g.key);
    if (i >= 0) { assign.set(g.key, free[i].name); free.splice(i, 1); }
  }
  for (const g of groups) {
    if (assign.has(g.key)) continue;
    assign.set(g.key, free.shift()?.name);
  }
  return { assign, remove: free.map((s) => s.name) };
}

/** The port set an existing slice carries, keyed like `portsKey`. */
export function existingPortsKey(slice: KubeObject): string {
  return portsKey(records(slice.ports).map((p) => {
    const out: SlicePort = { name: str(p.name) ?? '', port: num(p.port) ?? 0, protocol: str(p.protocol) ?? 'TCP' };
    const appProtocol = str(p.appProtocol);
    if (appProtocol) out.appProtocol = appProtocol;
    return out;
  }));
}
