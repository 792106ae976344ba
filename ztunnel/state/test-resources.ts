// Test support (not used by ztunnel itself): Workload and Service values with sensible defaults and
// their xDS resources encoded with the real codec, so store and admin tests feed what istiod sends.

import { encodeAddress } from '../../pkg/api/workload-codec';
import { addressResourceName, type Address, type Service, type Workload } from '../../pkg/api/workload-types';
import { ADDRESS_TYPE_URL, type XdsResource } from '../../pkg/xds/types';

export function workload(name: string, overrides: Partial<Workload> = {}): Workload {
  const namespace = overrides.namespace ?? 'shop';
  return {
    uid: `Kubernetes//Pod/${namespace}/${name}`,
    name,
    namespace,
    addresses: [],
    network: '',
    tunnelProtocol: 'HBONE',
    trustDomain: 'cluster.local',
    serviceAccount: 'default',
    node: 'node1',
    canonicalName: name,
    canonicalRevision: 'latest',
    workloadType: 'POD',
    workloadName: name,
    services: {},
    authorizationPolicies: [],
    status: 'HEALTHY',
    clusterId: 'Kubernetes',
    ...overrides,
  };
}

export function service(name: string, overrides: Partial<Service> = {}): Service {
  const namespace = overrides.namespace ?? 'shop';
  return {
    name,
    namespace,
    hostname: `${name}.${namespace}.svc.cluster.local`,
    addresses: [],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'UNKNOWN' }],
    subjectAltNames: [],
    ...overrides,
  };
}

/** The xDS resource istiod would send for a workload or service (named as istiod names it). */
export function resource(value: Workload | Service, version = '1', name?: string): XdsResource {
  const address: Address = 'uid' in value ? { kind: 'workload', workload: value } : { kind: 'service', service: value };
  return {
    name: name ?? addressResourceName(address),
    version,
    aliases: [],
    resource: { typeUrl: ADDRESS_TYPE_URL, value: encodeAddress(address) },
  };
}

/** A resource whose bytes are not a valid Address. */
export function garbage(name: string): XdsResource {
  return { name, version: '1', aliases: [], resource: { typeUrl: ADDRESS_TYPE_URL, value: Buffer.from([0x0a, 0xff, 0xff]) } };
}
