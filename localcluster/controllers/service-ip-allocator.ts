// Store admission for Services: defaults type, port protocol and targetPort; allocates the
// ClusterIP (lowest free address of the Service CIDR) or checks a requested one; keeps it
// immutable on update. The allocated set is read from the stored Services on every call.

import { invalid } from '../apiserver/errors';
import { Registry } from '../apiserver/registry';
import { Store } from '../apiserver/store';
import { isRecord, KubeObject, typeKey } from '../apiserver/types';
import { Ipv4Cidr, lowestFreeIp, parseCidr, requestedIpProblem } from './ip-range';
import { records, str } from './object-access';

const WITH_CLUSTER_IP = new Set(['ClusterIP', 'NodePort', 'LoadBalancer']);
const installed = new WeakMap<Store, string>();

const refuse = (obj: KubeObject, field: string, message: string): never => {
  throw invalid('', 'Service', obj.metadata.name ?? '', [{ field, message }]);
};

function takenIps(store: Store, registry: Registry, except: KubeObject | undefined): Set<string> {
  const services = registry.find('', 'services');
  const taken = new Set<string>();
  if (!services) return taken;
  for (const s of store.list(services).items) {
    if (except && s.metadata.namespace === except.metadata.namespace && s.metadata.name === except.metadata.name) continue;
    const spec = isRecord(s.spec) ? s.spec : {};
    for (const ip of [str(spec.clusterIP), ...(Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(str) : [])]) {
      if (ip && ip !== 'None') taken.add(ip);
    }
  }
  return taken;
}

function defaultPorts(spec: Record<string, unknown>): void {
  for (const p of records(spec.ports)) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined && typeof p.port === 'number') p.targetPort = p.port;
  }
}

/** Decides spec.clusterIP/clusterIPs for a Service being created (or given an address anew). */
function allocate(cidr: Ipv4Cidr, obj: KubeObject, spec: Record<string, unknown>, taken: Set<string>): void {
  const requested = str(spec.clusterIP) ?? '';
  const requestedList = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
  if (requestedList.length > 0 && requested && requestedList[0] !== requested) {
    refuse(obj, 'spec.clusterIPs', `Invalid value: ${JSON.stringify(requestedList)}: must match clusterIP when both are specified`);
  }
  const wanted = requested || str(requestedList[0]) || '';
  if (wanted === 'None') {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
    return;
  }
  if (wanted) {
    const isApiService = obj.metadata.namespace === 'default' && obj.metadata.name === 'kubernetes';
    const problem = requestedIpProblem(cidr, wanted, taken, isApiService);
    if (problem) refuse(obj, 'spec.clusterIP', `Invalid value: "${wanted}": ${problem}`);
    spec.clusterIP = wanted;
  } else {
    const ip = lowestFreeIp(cidr, taken);
    if (!ip) throw invalid('', 'Service', obj.metadata.name ?? '', [{ field: 'spec.clusterIP', message: `Internal error: failed to allocate a serviceIP: range is full (${cidr.text})` }]);
    spec.clusterIP = ip;
  }
  spec.clusterIPs = [spec.clusterIP];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
}

/**
 * Installs the ClusterIP admission on the store (idempotent per store). Call it before any
 * Service is created; `startControllers` calls it too.
 */
export function installServiceIpAllocator(store: Store, registry: Registry, serviceCidr: string): void {
  const previous = installed.get(store);
  if (previous !== undefined) {
    if (previous !== serviceCidr) throw new Error(`service IP allocator already installed with ${previous}, not ${serviceCidr}`);
    return;
  }
  const cidr = parseCidr(serviceCidr);
  installed.set(store, serviceCidr);
  store.addAdmission((op, type, obj, old) => {
    if (typeKey(type) !== '/services') return;
    if (obj.spec === undefined) obj.spec = {};
    if (!isRecord(obj.spec)) return refuse(obj, 'spec', 'Invalid value: must be an object');
    const spec = obj.spec;
    spec.type ??= 'ClusterIP';
    if (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.sessionAffinity ??= 'None';
    defaultPorts(spec);
    const oldSpec = old && isRecord(old.spec) ? old.spec : {};
    const oldIp = str(oldSpec.clusterIP) ?? '';
    if (!WITH_CLUSTER_IP.has(String(spec.type))) {
      if (spec.type === 'ExternalName') { delete spec.clusterIP; delete spec.clusterIPs; }
      return;
    }
    if (op === 'update' && oldIp) {
      const newIp = str(spec.clusterIP) ?? '';
      if (!newIp) {
        spec.clusterIP = oldIp;
        spec.clusterIPs = structuredClone(oldSpec.clusterIPs ?? [oldIp]);
        return;
      }
      if (newIp !== oldIp) refuse(obj, 'spec.clusterIP', 'Invalid value: field is immutable');
      const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : undefined;
      if (ips === undefined || ips.length === 0) spec.clusterIPs = structuredClone(oldSpec.clusterIPs ?? [oldIp]);
      else if (ips[0] !== oldIp) refuse(obj, 'spec.clusterIPs[0]', 'Invalid value: field is immutable');
      return;
    }
    allocate(cidr, obj, spec, takenIps(store, registry, op === 'update' ? old : undefined));
  });
}
