// The label set of Istio's standard request metrics as a waypoint reports them (reporter
// "waypoint"), and Envoy's response-flag tokens. Pure: the source side comes from the client's
// HBONE identity (namespace and service account — the service account stands in for the workload
// name, which a waypoint cannot know), the destination side from the endpoint that served the
// request and the Service the stream was for; 'unknown' wherever a value is not known.

import type { Endpoint } from '../state/view';

export const REQUEST_LABEL_NAMES = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_version',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;

export type RequestLabelName = (typeof REQUEST_LABEL_NAMES)[number];
export type RequestLabels = Readonly<Record<RequestLabelName, string>>;

/** Envoy's response flags (the subset a waypoint sets); several join with ','. */
export const RESPONSE_FLAGS = {
  none: '-',
  noHealthyUpstream: 'UH',
  overflow: 'UO',
  connectFailure: 'UF',
  upstreamReset: 'UR',
  retriesExhausted: 'URX',
  timeout: 'UT',
  faultAbort: 'FI',
  delayInjected: 'DI',
  downstreamDisconnect: 'DC',
  noRoute: 'NR',
  noCluster: 'NC',
  upstreamProtocolError: 'UPE',
  downstreamProtocolError: 'DPE',
  /** ambit's token (as ztunnel's): an AuthorizationPolicy denied the request. */
  denied: 'DENY',
  /** ambit's token: RequestAuthentication refused the request's JWT. */
  unauthenticated: 'JWT',
} as const;
export type ResponseFlag = (typeof RESPONSE_FLAGS)[keyof typeof RESPONSE_FLAGS];

export const UNKNOWN = 'unknown';

/** What the waypoint knows about the client of a stream. */
export interface SourceMeta {
  readonly workload: string;
  readonly namespace: string;
  readonly principal: string;
}

const SPIFFE_WORKLOAD_RE = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;
const sourceCache = new Map<string, SourceMeta>();
const MAX_SOURCE_CACHE = 4096;

export const UNKNOWN_SOURCE: SourceMeta = Object.freeze({ workload: UNKNOWN, namespace: UNKNOWN, principal: UNKNOWN });

/** The client side of the labels from its SPIFFE identity (cached per identity). */
export function sourceMeta(identity: string | undefined): SourceMeta {
  if (!identity) return UNKNOWN_SOURCE;
  let meta = sourceCache.get(identity);
  if (meta) return meta;
  const m = SPIFFE_WORKLOAD_RE.exec(identity);
  meta = Object.freeze({ workload: m ? m[2] : UNKNOWN, namespace: m ? m[1] : UNKNOWN, principal: identity });
  if (sourceCache.size >= MAX_SOURCE_CACHE) sourceCache.clear();
  sourceCache.set(identity, meta);
  return meta;
}

/** The Service a request was for (absent for workload-addressed traffic). */
export interface ServiceMeta {
  readonly hostname: string;
  readonly name: string;
  readonly namespace: string;
}

export interface RequestLabelInput {
  readonly source: SourceMeta;
  readonly service?: ServiceMeta;
  /** The endpoint that served (or was last tried for) the request. */
  readonly endpoint?: Endpoint;
  readonly grpc: boolean;
  /** 0 when no response was sent (downstream disconnect). */
  readonly status: number;
  /** gRPC status code as text; '' when not gRPC or not known. */
  readonly grpcStatus: string;
  readonly flags: readonly ResponseFlag[];
}

function orUnknown(value: string | undefined): string {
  return value === undefined || value === '' ? UNKNOWN : value;
}

/** Envoy's `%RESPONSE_FLAGS%`: the flags joined with ',' or '-' when there are none. */
export function formatFlags(flags: readonly ResponseFlag[]): string {
  const set = flags.filter((f) => f !== RESPONSE_FLAGS.none);
  return set.length === 0 ? RESPONSE_FLAGS.none : [...new Set(set)].join(',');
}

export function requestLabels(input: RequestLabelInput): RequestLabels {
  const { source, service, endpoint } = input;
  return {
    reporter: 'waypoint',
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_principal: source.principal,
    destination_workload: orUnknown(endpoint?.workloadName),
    destination_workload_namespace: orUnknown(endpoint?.namespace),
    destination_principal: orUnknown(endpoint?.identity),
    destination_service: orUnknown(service?.hostname),
    destination_service_name: orUnknown(service?.name),
    destination_service_namespace: orUnknown(service?.namespace),
    destination_canonical_service: orUnknown(endpoint?.canonicalName),
    destination_version: orUnknown(endpoint?.canonicalRevision),
    request_protocol: input.grpc ? 'grpc' : 'http',
    response_code: String(input.status),
    grpc_response_status: input.grpc ? input.grpcStatus : '',
    response_flags: formatFlags(input.flags),
    connection_security_policy: 'mutual_tls',
  };
}
