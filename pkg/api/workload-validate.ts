// Strict validation of a decoded `istio.workload.Address` (protobufjs message) into ambit's model:
// exactly one of workload/service, required names present, IPs 4 or 16 bytes, ports in range,
// known enum values only, bounded counts and string sizes. Every refusal names the wire field
// (snake_case, with indexes/keys) and the reason. Pure: no I/O.

import { trustDomainProblem } from '../identity/spiffe';
import { bytesToIp } from './ip-bytes';
import {
  APP_PROTOCOLS,
  DEFAULT_SERVICE_ACCOUNT,
  DEFAULT_TRUST_DOMAIN,
  TUNNEL_PROTOCOLS,
  WORKLOAD_STATUSES,
  WORKLOAD_TYPES,
  type Address,
  type GatewayAddress,
  type NetworkAddress,
  type PortMapping,
  type Service,
  type Workload,
} from './workload-types';

export const WORKLOAD_LIMITS = {
  addresses: 16,
  services: 1024,
  ports: 1024,
  authorizationPolicies: 1024,
  subjectAltNames: 256,
  stringBytes: 1024,
  hostnameBytes: 253,
} as const;

// The decoded protobufjs message: unset scalars read as defaults from the prototype, unset
// messages as null, unset repeated fields as empty arrays.
interface WireNetworkAddress { network: string; address: Uint8Array; length?: number | null }
interface WireNamespacedHostname { namespace: string; hostname: string }
interface WireGateway { hostname?: WireNamespacedHostname | null; address?: WireNetworkAddress | null; hboneMtlsPort: number }
interface WirePort { servicePort: number; targetPort: number; appProtocol: number }
interface WireWorkload {
  uid: string; name: string; namespace: string; addresses: Uint8Array[]; hostname: string; network: string;
  tunnelProtocol: number; trustDomain: string; serviceAccount: string; waypoint?: WireGateway | null; node: string;
  canonicalName: string; canonicalRevision: string; workloadType: number; workloadName: string;
  services: Record<string, { ports: WirePort[] }>; authorizationPolicies: string[]; status: number; clusterId: string;
}
interface WireService {
  name: string; namespace: string; hostname: string; addresses: WireNetworkAddress[]; ports: WirePort[];
  subjectAltNames: string[]; waypoint?: WireGateway | null;
}
export interface WireAddress { workload?: WireWorkload | null; service?: WireService | null }

class Rejected extends Error {}

function reject(field: string, why: string): never {
  throw new Rejected(`${field}: ${why}`);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const HOSTNAME = /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_])?$/;

function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

function str(value: string, field: string, opts: { required?: boolean; maxBytes?: number } = {}): string {
  const max = opts.maxBytes ?? WORKLOAD_LIMITS.stringBytes;
  const bytes = Buffer.byteLength(value);
  if (bytes > max) reject(field, `${bytes} bytes (max ${max})`);
  if (opts.required && value.length === 0) reject(field, 'empty');
  return value;
}

function namespace(value: string, field: string): string {
  str(value, field, { required: true, maxBytes: 63 });
  if (!DNS_LABEL.test(value)) reject(field, `${show(value)} is not a valid DNS label`);
  return value;
}

function hostname(value: string, field: string): string {
  str(value, field, { required: true, maxBytes: WORKLOAD_LIMITS.hostnameBytes });
  if (!HOSTNAME.test(value)) reject(field, `${show(value)} is not a valid hostname`);
  return value;
}

function count<T>(list: readonly T[], field: string, max: number): readonly T[] {
  if (list.length > max) reject(field, `${list.length} entries (max ${max})`);
  return list;
}

function ip(bytes: Uint8Array, field: string): string {
  const text = bytesToIp(bytes);
  if (text === undefined) reject(field, `${bytes.length} bytes (want 4 or 16)`);
  return text;
}

function enumValue<T>(names: readonly T[], value: number, field: string): T {
  const name = names[value];
  if (!Number.isInteger(value) || name === undefined) reject(field, `unknown enum value ${value}`);
  return name;
}

function port(value: number, field: string, allowZero: boolean): number {
  if (value > 65535 || (!allowZero && value === 0)) reject(field, `${value} (want ${allowZero ? 0 : 1}..65535)`);
  return value;
}

function networkAddress(w: WireNetworkAddress, field: string): NetworkAddress {
  const network = str(w.network, `${field}.network`);
  const address = ip(w.address, `${field}.address`);
  const full = w.address.length * 8;
  if (w.length !== undefined && w.length !== null && w.length !== full) {
    reject(`${field}.length`, `CIDR prefix /${w.length} not supported (only host addresses, /${full})`);
  }
  return { network, address };
}

function gateway(w: WireGateway, field: string): GatewayAddress {
  const hboneMtlsPort = port(w.hboneMtlsPort, `${field}.hbone_mtls_port`, false);
  if (w.hostname && w.address) reject(field, 'both hostname and address set');
  if (w.hostname) {
    return {
      kind: 'hostname',
      hostname: {
        namespace: namespace(w.hostname.namespace, `${field}.hostname.namespace`),
        hostname: hostname(w.hostname.hostname, `${field}.hostname.hostname`),
      },
      hboneMtlsPort,
    };
  }
  if (w.address) return { kind: 'address', address: networkAddress(w.address, `${field}.address`), hboneMtlsPort };
  return reject(field, 'neither hostname nor address set');
}

function ports(list: readonly WirePort[], field: string): PortMapping[] {
  return count(list, field, WORKLOAD_LIMITS.ports).map((p, i) => ({
    servicePort: port(p.servicePort, `${field}[${i}].service_port`, false),
    targetPort: port(p.targetPort, `${field}[${i}].target_port`, true),
    appProtocol: enumValue(APP_PROTOCOLS, p.appProtocol, `${field}[${i}].app_protocol`),
  }));
}

function namespacedKey(key: string, field: string, rest: (value: string, field: string) => string): void {
  const slash = key.indexOf('/');
  if (slash < 0) reject(field, 'key is not "<namespace>/<name>"');
  namespace(key.slice(0, slash), `${field} namespace`);
  rest(key.slice(slash + 1), `${field} name`);
}

function workload(w: WireWorkload): Workload {
  const uid = str(w.uid, 'workload.uid', { required: true });
  const name = str(w.name, 'workload.name', { required: true, maxBytes: 253 });
  const ns = namespace(w.namespace, 'workload.namespace');
  const addresses = count(w.addresses, 'workload.addresses', WORKLOAD_LIMITS.addresses).map((a, i) => ip(a, `workload.addresses[${i}]`));
  // Keys are checked ("<ns>/<hostname>") before they are used, so no key can be "__proto__".
  const services: Record<string, readonly PortMapping[]> = {};
  const keys = Object.keys(w.services);
  count(keys, 'workload.services', WORKLOAD_LIMITS.services);
  for (const key of keys) {
    const field = `workload.services[${show(key)}]`;
    str(key, field, { maxBytes: WORKLOAD_LIMITS.stringBytes });
    namespacedKey(key, field, hostname);
    services[key] = ports(w.services[key]?.ports ?? [], `${field}.ports`);
  }
  const trustDomain = w.trustDomain === '' ? DEFAULT_TRUST_DOMAIN : w.trustDomain;
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem) reject('workload.trust_domain', tdProblem);
  const serviceAccount = w.serviceAccount === '' ? DEFAULT_SERVICE_ACCOUNT : w.serviceAccount;
  str(serviceAccount, 'workload.service_account', { maxBytes: 253 });
  if (!DNS_SUBDOMAIN.test(serviceAccount)) reject('workload.service_account', `${show(serviceAccount)} is not a valid service account name`);
  const policies = count(w.authorizationPolicies, 'workload.authorization_policies', WORKLOAD_LIMITS.authorizationPolicies);
  policies.forEach((p, i) => {
    const field = `workload.authorization_policies[${i}]`;
    str(p, field, { required: true });
    namespacedKey(p, field, (v, f) => str(v, f, { required: true }));
  });
  return {
    uid,
    name,
    namespace: ns,
    addresses,
    network: str(w.network, 'workload.network'),
    tunnelProtocol: enumValue(TUNNEL_PROTOCOLS, w.tunnelProtocol, 'workload.tunnel_protocol'),
    trustDomain,
    serviceAccount,
    ...(w.waypoint ? { waypoint: gateway(w.waypoint, 'workload.waypoint') } : {}),
    node: str(w.node, 'workload.node'),
    canonicalName: str(w.canonicalName, 'workload.canonical_name'),
    canonicalRevision: str(w.canonicalRevision, 'workload.canonical_revision'),
    workloadType: enumValue(WORKLOAD_TYPES, w.workloadType, 'workload.workload_type'),
    workloadName: str(w.workloadName, 'workload.workload_name'),
    services,
    authorizationPolicies: [...policies],
    status: enumValue(WORKLOAD_STATUSES, w.status, 'workload.status'),
    clusterId: str(w.clusterId, 'workload.cluster_id'),
  };
}

function service(s: WireService): Service {
  return {
    name: str(s.name, 'service.name', { required: true, maxBytes: 253 }),
    namespace: namespace(s.namespace, 'service.namespace'),
    hostname: hostname(s.hostname, 'service.hostname'),
    addresses: count(s.addresses, 'service.addresses', WORKLOAD_LIMITS.addresses).map((a, i) => networkAddress(a, `service.addresses[${i}]`)),
    ports: ports(s.ports, 'service.ports'),
    subjectAltNames: count(s.subjectAltNames, 'service.subject_alt_names', WORKLOAD_LIMITS.subjectAltNames).map((n, i) =>
      str(n, `service.subject_alt_names[${i}]`, { required: true }),
    ),
    ...(s.waypoint ? { waypoint: gateway(s.waypoint, 'service.waypoint') } : {}),
  };
}

/** The model value of a decoded Address, or the first problem found. Never throws a refusal. */
export function wireToAddress(wire: WireAddress): { ok: true; address: Address } | { ok: false; error: string } {
  try {
    if (wire.workload && wire.service) reject('address', 'both workload and service set');
    if (wire.workload) return { ok: true, address: { kind: 'workload', workload: workload(wire.workload) } };
    if (wire.service) return { ok: true, address: { kind: 'service', service: service(wire.service) } };
    return reject('address', 'neither workload nor service set');
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, error: err.message };
    throw err;
  }
}
