// Conversions from Kubernetes Namespaces, Pods, Services, EndpointSlices and security policies — client-node model
// instances or raw watch JSON, which share field names — to MeshKube's plain data. Hostile or
// malformed objects are read defensively: wrong types become absent/empty, never trusted by shape.

import { asRecord } from './convert';
import {
  SERVICE_NAME_LABEL, type MeshCondition, type MeshEndpoint, type MeshEndpointSlice, type MeshEndpointSlicePort, type MeshNamespace,
  type MeshOwnerRef, type MeshPod, type MeshPolicy, type MeshService, type MeshServicePort,
} from './mesh-types';

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.map(asRecord).filter((r): r is Json => r !== undefined) : []);
const meta = (obj: unknown): Json => asRecord(asRecord(obj)?.metadata) ?? {};

// Object.fromEntries defines own properties even for keys such as `__proto__`; lookups elsewhere
// use Object.hasOwn, so a hostile key never reaches Object.prototype.
function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function portNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535 ? v : undefined;
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export function toMeshNamespace(obj: unknown): MeshNamespace | undefined {
  const m = meta(obj);
  const name = str(m.name);
  return name ? { name, labels: stringMap(m.labels) } : undefined;
}

function ownerRefs(v: unknown): MeshOwnerRef[] {
  return records(v).flatMap((r) => {
    const kind = str(r.kind);
    const name = str(r.name);
    return kind && name ? [{ apiVersion: str(r.apiVersion) ?? '', kind, name, controller: r.controller === true }] : [];
  });
}

function podIPs(status: Json): string[] {
  const ips = records(status.podIPs).map((r) => str(r.ip)).filter((ip): ip is string => !!ip);
  const primary = str(status.podIP);
  if (ips.length === 0 && primary) return [primary];
  return [...new Set(ips)];
}

function containerPorts(spec: Json): Record<string, number> {
  const out = new Map<string, number>();
  for (const c of records(spec.containers)) {
    for (const p of records(c.ports)) {
      const name = str(p.name);
      const port = portNumber(p.containerPort);
      if (name && port !== undefined && !out.has(name)) out.set(name, port);
    }
  }
  return Object.fromEntries(out);
}

export function toMeshPod(obj: unknown): MeshPod | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const spec = asRecord(asRecord(obj)?.spec) ?? {};
  const status = asRecord(asRecord(obj)?.status) ?? {};
  const nodeName = str(spec.nodeName);
  const phase = str(status.phase);
  const ready = records(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    namespace, name, uid: str(m.uid) ?? '',
    labels: stringMap(m.labels), annotations: stringMap(m.annotations),
    serviceAccountName: str(spec.serviceAccountName) || str(spec.serviceAccount) || 'default',
    ...(nodeName ? { nodeName } : {}),
    hostNetwork: spec.hostNetwork === true,
    podIPs: podIPs(status),
    ...(phase ? { phase } : {}),
    ready,
    containerPorts: containerPorts(spec),
    ownerReferences: ownerRefs(m.ownerReferences),
    deleting: isSet(m.deletionTimestamp),
  };
}

function targetPortOf(v: unknown, port: number): number | string {
  if (typeof v === 'number') return portNumber(v) ?? 0;
  if (typeof v === 'string' && v !== '') return /^[0-9]+$/.test(v) ? portNumber(Number(v)) ?? 0 : v;
  return port;
}

function servicePorts(v: unknown): MeshServicePort[] {
  return records(v).flatMap((p) => {
    const port = portNumber(p.port);
    if (port === undefined) return [];
    const appProtocol = str(p.appProtocol);
    return [{
      name: str(p.name) ?? '', port, targetPort: targetPortOf(p.targetPort, port),
      protocol: str(p.protocol) || 'TCP', ...(appProtocol ? { appProtocol } : {}),
    }];
  });
}

export function toMeshService(obj: unknown): MeshService | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const spec = asRecord(asRecord(obj)?.spec) ?? {};
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((x): x is string => typeof x === 'string' && x !== '') : [];
  const primary = str(spec.clusterIP);
  const selector = asRecord(spec.selector) ? stringMap(spec.selector) : undefined;
  return {
    namespace, name, labels: stringMap(m.labels),
    ...(selector ? { selector } : {}),
    clusterIPs: ips.length > 0 ? ips : primary ? [primary] : [],
    type: str(spec.type) || 'ClusterIP',
    ports: servicePorts(spec.ports),
  };
}

function endpoints(v: unknown, sliceNamespace: string): MeshEndpoint[] {
  return records(v).map((e) => {
    const addresses = Array.isArray(e.addresses) ? e.addresses.filter((a): a is string => typeof a === 'string' && a !== '') : [];
    const ready = asRecord(e.conditions)?.ready;
    const ref = asRecord(e.targetRef);
    const kind = str(ref?.kind);
    const name = str(ref?.name);
    return {
      addresses,
      ready: ready !== false,
      ...(ref && kind && name ? { targetRef: { kind, name, namespace: str(ref.namespace) || sliceNamespace } } : {}),
    };
  });
}

function slicePorts(v: unknown): MeshEndpointSlicePort[] {
  return records(v).flatMap((p) => {
    const port = portNumber(p.port);
    if (port === undefined) return [];
    const appProtocol = str(p.appProtocol);
    return [{ name: str(p.name) ?? '', port, protocol: str(p.protocol) || 'TCP', ...(appProtocol ? { appProtocol } : {}) }];
  });
}

export function toMeshEndpointSlice(obj: unknown): MeshEndpointSlice | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const o = asRecord(obj) ?? {};
  return {
    namespace, name,
    serviceName: stringMap(m.labels)[SERVICE_NAME_LABEL] ?? '',
    addressType: str(o.addressType) ?? '',
    endpoints: endpoints(o.endpoints, namespace),
    ports: slicePorts(o.ports),
  };
}

function condition(r: Json): MeshCondition | undefined {
  const type = str(r.type);
  const status = str(r.status);
  if (type === undefined || status === undefined) return undefined;
  const generation = r.observedGeneration;
  return {
    type, status, reason: str(r.reason) ?? '', message: str(r.message) ?? '',
    ...(typeof generation === 'number' && Number.isInteger(generation) ? { observedGeneration: generation } : {}),
    ...(str(r.lastTransitionTime) !== undefined ? { lastTransitionTime: str(r.lastTransitionTime) } : {}),
  };
}

/** A security policy object: key, generation and stored conditions read defensively; the object is kept whole. */
export function toMeshPolicy(obj: unknown): MeshPolicy | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const generation = typeof m.generation === 'number' && Number.isInteger(m.generation) && m.generation >= 0 ? m.generation : 0;
  const conditions = records(asRecord(asRecord(obj)?.status)?.conditions)
    .map(condition).filter((c): c is MeshCondition => c !== undefined);
  return { namespace, name, generation, conditions, object: obj };
}
