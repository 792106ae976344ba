// Typed encode/decode of delta ADS messages (envoy.service.discovery.v3 DeltaDiscoveryRequest and
// DeltaDiscoveryResponse, Envoy's field numbers) and the grpc-js method definition of
// DeltaAggregatedResources shared by istiod (server) and the xDS clients (ztunnel, waypoint).

import type { MethodDefinition } from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { messageType } from '../api/proto-root';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import {
  DELTA_ADS_PATH,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type MetadataValue,
  type XdsNode,
  type XdsResource,
} from './types';

export const DELTA_ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const DELTA_ADS_METHOD = 'DeltaAggregatedResources';
/** google.rpc.Code INVALID_ARGUMENT, the code of a NACK's error_detail. */
export const NACK_CODE = 3;

// --- wire shapes (protobufjs messages: unset scalars read as defaults, unset messages as null) ---
interface WireValue {
  /** The set member of the `kind` oneof (protobufjs' virtual oneof property). */
  kind?: string;
  numberValue: number; stringValue: string; boolValue: boolean; listValue?: { values: WireValue[] } | null;
}
interface WireStruct { fields: Record<string, WireValue> }
interface WireNode { id: string; cluster: string; metadata?: WireStruct | null }
interface WireRequest {
  node?: WireNode | null; typeUrl: string; resourceNamesSubscribe: string[]; resourceNamesUnsubscribe: string[];
  initialResourceVersions: Record<string, string>; responseNonce: string; errorDetail?: { code: number; message: string } | null;
}
// google.protobuf.Any comes from protobufjs' bundled definition, which keeps the snake_case name.
interface WireAny { type_url: string; value: Uint8Array }
interface WireResource { version: string; resource?: WireAny | null; name: string; aliases: string[] }
interface WireResponse { systemVersionInfo: string; resources: WireResource[]; typeUrl: string; nonce: string; removedResources: string[] }

const types = new Map<string, protobuf.Type>();
function type(name: string): protobuf.Type {
  let t = types.get(name);
  if (!t) {
    t = messageType(`envoy.service.discovery.v3.${name}`);
    types.set(name, t);
  }
  return t;
}

function toStructValue(v: MetadataValue): object {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return { listValue: { values: v.map((s) => ({ stringValue: s })) } };
}

/**
 * A Struct value as ambit's MetadataValue; values it cannot represent (null, nested structs,
 * lists holding anything but strings) are dropped.
 */
function fromStructValue(v: WireValue): MetadataValue | undefined {
  switch (v.kind) {
    case 'stringValue': return v.stringValue;
    case 'numberValue': return v.numberValue;
    case 'boolValue': return v.boolValue;
    case 'listValue': {
      const out: string[] = [];
      for (const item of v.listValue?.values ?? []) {
        if (item.kind !== 'stringValue') return undefined;
        out.push(item.stringValue);
      }
      return out;
    }
    default: return undefined;
  }
}

export function nodeMetadataToStruct(metadata: Readonly<Record<string, MetadataValue>>): { fields: Record<string, object> } {
  const fields: Record<string, object> = {};
  for (const [k, v] of Object.entries(metadata)) fields[k] = toStructValue(v);
  return { fields };
}

export function structToNodeMetadata(struct: WireStruct | null | undefined): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const [k, v] of Object.entries(struct?.fields ?? {})) {
    const value = fromStructValue(v);
    if (value !== undefined) Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A plain record from a decoded map, with every key as an own property (even "__proto__"). */
function ownRecord(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map));
}

/**
 * The bytes as a plain Uint8Array view: protobufjs reads a Node Buffer with a reader that silently
 * truncates a string running past the end; the plain reader refuses it.
 */
function strictView(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function malformed(what: string, err: unknown): MeshError {
  return new MeshError(ErrorCode.InvalidArgument, `malformed ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export function encodeDeltaRequest(req: DeltaDiscoveryRequest): Buffer {
  const obj: Record<string, unknown> = {
    typeUrl: req.typeUrl,
    resourceNamesSubscribe: [...req.resourceNamesSubscribe],
    resourceNamesUnsubscribe: [...req.resourceNamesUnsubscribe],
    initialResourceVersions: { ...req.initialResourceVersions },
    responseNonce: req.responseNonce,
  };
  if (req.node) obj['node'] = { id: req.node.id, cluster: req.node.cluster, metadata: nodeMetadataToStruct(req.node.metadata) };
  if (req.errorDetail) obj['errorDetail'] = { code: req.errorDetail.code, message: req.errorDetail.message };
  const t = type('DeltaDiscoveryRequest');
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** Throws MeshError(InvalidArgument) on bytes that are not a DeltaDiscoveryRequest. */
export function decodeDeltaRequest(buf: Uint8Array): DeltaDiscoveryRequest {
  let w: WireRequest;
  try {
    w = type('DeltaDiscoveryRequest').decode(strictView(buf)) as unknown as WireRequest;
  } catch (err) {
    throw malformed('DeltaDiscoveryRequest', err);
  }
  const node: XdsNode | undefined = w.node
    ? { id: w.node.id, cluster: w.node.cluster, metadata: structToNodeMetadata(w.node.metadata) }
    : undefined;
  return {
    ...(node ? { node } : {}),
    typeUrl: w.typeUrl,
    resourceNamesSubscribe: [...w.resourceNamesSubscribe],
    resourceNamesUnsubscribe: [...w.resourceNamesUnsubscribe],
    initialResourceVersions: ownRecord(w.initialResourceVersions),
    responseNonce: w.responseNonce,
    ...(w.errorDetail ? { errorDetail: { code: w.errorDetail.code, message: w.errorDetail.message } } : {}),
  };
}

export function encodeDeltaResponse(res: DeltaDiscoveryResponse): Buffer {
  const t = type('DeltaDiscoveryResponse');
  const obj = {
    systemVersionInfo: res.systemVersionInfo,
    resources: res.resources.map((r) => ({
      version: r.version,
      name: r.name,
      aliases: [...r.aliases],
      resource: { type_url: r.resource.typeUrl, value: r.resource.value },
    })),
    typeUrl: res.typeUrl,
    nonce: res.nonce,
    removedResources: [...res.removedResources],
  };
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/**
 * Throws MeshError(InvalidArgument) on bytes that are not a DeltaDiscoveryResponse. A resource
 * without a body (a TTL heartbeat) gets an empty value and the response's type URL.
 */
export function decodeDeltaResponse(buf: Uint8Array): DeltaDiscoveryResponse {
  let w: WireResponse;
  try {
    w = type('DeltaDiscoveryResponse').decode(strictView(buf)) as unknown as WireResponse;
  } catch (err) {
    throw malformed('DeltaDiscoveryResponse', err);
  }
  const resources: XdsResource[] = w.resources.map((r) => ({
    name: r.name,
    version: r.version,
    aliases: [...r.aliases],
    resource: {
      typeUrl: r.resource ? r.resource.type_url : w.typeUrl,
      value: r.resource ? Buffer.from(r.resource.value.buffer, r.resource.value.byteOffset, r.resource.value.byteLength) : Buffer.alloc(0),
    },
  }));
  return {
    systemVersionInfo: w.systemVersionInfo,
    typeUrl: w.typeUrl,
    resources,
    removedResources: [...w.removedResources],
    nonce: w.nonce,
  };
}

/** The bidi method, for grpc.Server#addService and grpc.Client#makeBidiStreamRequest. */
export const deltaAdsMethod: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
  path: DELTA_ADS_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: encodeDeltaRequest,
  requestDeserialize: decodeDeltaRequest,
  responseSerialize: encodeDeltaResponse,
  responseDeserialize: decodeDeltaResponse,
};

/** The service definition (one method) for grpc.Server#addService. */
export const deltaAdsService = { [DELTA_ADS_METHOD]: deltaAdsMethod } as const;
