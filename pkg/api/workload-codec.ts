// Wire codec of the `istio.workload.Address` xDS type: ambit's Address model (workload-types.ts) to
// and from Istio's workload.proto encoding. Encoding follows istiod (defaults omitted, IPs as raw
// bytes, enums by number); decoding is strict and never throws — every rejection names the field
// and why (the checks live in workload-validate.ts).

import type * as protobuf from 'protobufjs';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { ipToBytes } from './ip-bytes';
import { messageType } from './proto-root';
import { wireToAddress, type WireAddress } from './workload-validate';
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

/** The protobuf message name of the Address type (its type URL is ADDRESS_TYPE_URL in pkg/xds). */
export const ADDRESS_MESSAGE = 'istio.workload.Address';
/** The largest encoded Address decodeAddress accepts. */
export const MAX_ADDRESS_BYTES = 4 * 1024 * 1024;

export type DecodeAddressResult = { readonly ok: true; readonly address: Address } | { readonly ok: false; readonly error: string };

let addressType: protobuf.Type | undefined;
function type(): protobuf.Type {
  addressType ??= messageType(ADDRESS_MESSAGE);
  return addressType;
}

type Obj = Record<string, unknown>;

function ipBytes(ip: string, field: string): Buffer {
  const bytes = ipToBytes(ip);
  if (!bytes) throw new MeshError(ErrorCode.InvalidArgument, `${field}: ${JSON.stringify(ip)} is not an IP address`);
  return bytes;
}

/** Sets `key` only when the value is not the proto3 default (so the wire omits it, as istiod does). */
function put(o: Obj, key: string, value: string | number | boolean | Buffer | Obj | unknown[] | undefined): void {
  if (value === undefined || value === '' || value === 0 || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  o[key] = value;
}

function networkAddress(a: NetworkAddress, field: string): Obj {
  const o: Obj = { address: ipBytes(a.address, `${field}.address`) };
  put(o, 'network', a.network);
  return o;
}

function gateway(g: GatewayAddress, field: string): Obj {
  const o: Obj = {};
  if (g.kind === 'hostname') {
    const h: Obj = {};
    put(h, 'namespace', g.hostname.namespace);
    put(h, 'hostname', g.hostname.hostname);
    o['hostname'] = h;
  } else {
    o['address'] = networkAddress(g.address, `${field}.address`);
  }
  put(o, 'hboneMtlsPort', g.hboneMtlsPort);
  return o;
}

function port(p: PortMapping): Obj {
  const o: Obj = {};
  put(o, 'servicePort', p.servicePort);
  put(o, 'targetPort', p.targetPort);
  put(o, 'appProtocol', APP_PROTOCOLS.indexOf(p.appProtocol));
  return o;
}

function workloadObject(w: Workload): Obj {
  const o: Obj = {};
  put(o, 'uid', w.uid);
  put(o, 'name', w.name);
  put(o, 'namespace', w.namespace);
  put(o, 'addresses', w.addresses.map((ip, i) => ipBytes(ip, `workload.addresses[${i}]`)));
  put(o, 'network', w.network);
  put(o, 'tunnelProtocol', TUNNEL_PROTOCOLS.indexOf(w.tunnelProtocol));
  if (w.trustDomain !== DEFAULT_TRUST_DOMAIN) put(o, 'trustDomain', w.trustDomain);
  if (w.serviceAccount !== DEFAULT_SERVICE_ACCOUNT) put(o, 'serviceAccount', w.serviceAccount);
  if (w.waypoint) o['waypoint'] = gateway(w.waypoint, 'workload.waypoint');
  put(o, 'node', w.node);
  put(o, 'canonicalName', w.canonicalName);
  put(o, 'canonicalRevision', w.canonicalRevision);
  put(o, 'workloadType', WORKLOAD_TYPES.indexOf(w.workloadType));
  put(o, 'workloadName', w.workloadName);
  const services: Obj = {};
  for (const [key, ports] of Object.entries(w.services)) services[key] = { ports: ports.map(port) };
  if (Object.keys(services).length > 0) o['services'] = services;
  put(o, 'authorizationPolicies', [...w.authorizationPolicies]);
  put(o, 'status', WORKLOAD_STATUSES.indexOf(w.status));
  put(o, 'clusterId', w.clusterId);
  return o;
}

function serviceObject(s: Service): Obj {
  const o: Obj = {};
  put(o, 'name', s.name);
  put(o, 'namespace', s.namespace);
  put(o, 'hostname', s.hostname);
  put(o, 'addresses', s.addresses.map((a, i) => networkAddress(a, `service.addresses[${i}]`)));
  put(o, 'ports', s.ports.map(port));
  put(o, 'subjectAltNames', [...s.subjectAltNames]);
  if (s.waypoint) o['waypoint'] = gateway(s.waypoint, 'service.waypoint');
  return o;
}

/**
 * The wire form of an Address (an Any's value for ADDRESS_TYPE_URL). Throws MeshError
 * (InvalidArgument) only for an address that is not an IP literal.
 */
export function encodeAddress(a: Address): Buffer {
  const obj = a.kind === 'workload' ? { workload: workloadObject(a.workload) } : { service: serviceObject(a.service) };
  const t = type();
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** Parses and validates one Address; never throws. */
export function decodeAddress(buf: Uint8Array): DecodeAddressResult {
  if (buf.length > MAX_ADDRESS_BYTES) return { ok: false, error: `address: ${buf.length} bytes (max ${MAX_ADDRESS_BYTES})` };
  let wire: WireAddress;
  try {
    // A plain Uint8Array view: protobufjs' Buffer reader would accept a string cut short by the end
    // of the input; the plain reader refuses it.
    wire = type().decode(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)) as unknown as WireAddress;
  } catch (err) {
    return { ok: false, error: `address: malformed protobuf (${err instanceof Error ? err.message : String(err)})` };
  }
  try {
    return wireToAddress(wire);
  } catch (err) {
    // The validator returns its refusals; a throw here is a bug, still reported as a refusal.
    return { ok: false, error: `address: ${err instanceof Error ? err.message : String(err)}` };
  }
}
