// The label set of Istio's standard TCP metrics (reference/istio-ambient.md §7.1), built once per
// connection from what the proxy knows: workloads from the state (cached per workload object),
// peer baggage when only the remote side knows, principals from certificates. Pure; 'unknown'
// wherever a value is not known.

import type { Service, Workload } from '../../pkg/api/workload-types';
import { formatSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';

export const TCP_LABEL_NAMES = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_service',
  'destination_service_namespace',
  'destination_service_name',
  'destination_workload',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_cluster',
  'request_protocol',
  'response_flags',
  'connection_security_policy',
] as const;

export type TcpLabelName = (typeof TCP_LABEL_NAMES)[number];
export type TcpLabels = Readonly<Record<TcpLabelName, string>>;

export type Reporter = 'source' | 'destination';

/**
 * `response_flags` values (Istio's). `UH` (Envoy's "no healthy upstream") marks a connection
 * refused because its destination is bound to a waypoint that cannot be reached — unknown, or with
 * no ready pod — which ambit refuses rather than bypass (fail closed).
 */
export const RESPONSE_FLAGS = {
  none: '-',
  deny: 'DENY',
  connect: 'CONNECT',
  tlsFailure: 'TLS_FAILURE',
  identity: 'IDENTITY_ERROR',
  noHealthyUpstream: 'UH',
} as const;
export type ResponseFlag = (typeof RESPONSE_FLAGS)[keyof typeof RESPONSE_FLAGS];

export const UNKNOWN = 'unknown';
/** Longest label value taken from peer-supplied baggage. */
const MAX_BAGGAGE_VALUE = 253;

/** The telemetry-relevant facts about one end of a connection. */
export interface PeerMeta {
  readonly workload: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
  readonly cluster: string;
}

export const UNKNOWN_PEER: PeerMeta = Object.freeze({
  workload: UNKNOWN,
  canonicalService: UNKNOWN,
  canonicalRevision: UNKNOWN,
  namespace: UNKNOWN,
  app: UNKNOWN,
  version: UNKNOWN,
  cluster: UNKNOWN,
});

const metas = new WeakMap<Workload, PeerMeta>();

function orUnknown(value: string | undefined): string {
  return value === undefined || value === '' ? UNKNOWN : value;
}

/** A workload's metadata (app/version are its canonical service/revision, as ztunnel reports). */
export function workloadMeta(workload: Workload | undefined): PeerMeta {
  if (!workload) return UNKNOWN_PEER;
  let meta = metas.get(workload);
  if (!meta) {
    meta = Object.freeze({
      workload: orUnknown(workload.workloadName || workload.name),
      canonicalService: orUnknown(workload.canonicalName),
      canonicalRevision: orUnknown(workload.canonicalRevision),
      namespace: orUnknown(workload.namespace),
      app: orUnknown(workload.canonicalName),
      version: orUnknown(workload.canonicalRevision),
      cluster: orUnknown(workload.clusterId),
    });
    metas.set(workload, meta);
  }
  return meta;
}

function fromBaggage(baggage: ReadonlyMap<string, string>, key: string): string {
  const value = baggage.get(key);
  return value === undefined || value === '' ? UNKNOWN : value.slice(0, MAX_BAGGAGE_VALUE);
}

/** Metadata a peer announced in its `baggage` (telemetry only; never used for decisions). */
export function baggageMeta(baggage: ReadonlyMap<string, string>): PeerMeta {
  if (baggage.size === 0) return UNKNOWN_PEER;
  let workload = UNKNOWN;
  for (const key of ['k8s.deployment.name', 'k8s.cronjob.name', 'k8s.job.name', 'k8s.pod.name']) {
    workload = fromBaggage(baggage, key);
    if (workload !== UNKNOWN) break;
  }
  const service = fromBaggage(baggage, 'service.name');
  const version = fromBaggage(baggage, 'service.version');
  return Object.freeze({
    workload,
    canonicalService: service,
    canonicalRevision: version,
    namespace: fromBaggage(baggage, 'k8s.namespace.name'),
    app: service,
    version,
    cluster: fromBaggage(baggage, 'k8s.cluster.name'),
  });
}

export interface LabelInput {
  readonly reporter: Reporter;
  readonly source: PeerMeta;
  readonly sourcePrincipal?: SpiffeId;
  readonly destination: PeerMeta;
  readonly destinationPrincipal?: SpiffeId;
  /** The Service the connection was for, when known. */
  readonly service?: Service;
  /** Whether the connection is carried over mutual TLS (HBONE or same-node delivery). */
  readonly mtls: boolean;
}

/** The full label set of one connection (response_flags '-'; see withFlag). */
export function tcpLabels(input: LabelInput): TcpLabels {
  const { source: src, destination: dst, service } = input;
  return {
    reporter: input.reporter,
    source_workload: src.workload,
    source_canonical_service: src.canonicalService,
    source_canonical_revision: src.canonicalRevision,
    source_workload_namespace: src.namespace,
    source_principal: input.sourcePrincipal ? formatSpiffeId(input.sourcePrincipal) : UNKNOWN,
    source_app: src.app,
    source_version: src.version,
    source_cluster: src.cluster,
    destination_service: service ? service.hostname : UNKNOWN,
    destination_service_namespace: service ? service.namespace : UNKNOWN,
    destination_service_name: service ? service.name : UNKNOWN,
    destination_workload: dst.workload,
    destination_canonical_service: dst.canonicalService,
    destination_canonical_revision: dst.canonicalRevision,
    destination_workload_namespace: dst.namespace,
    destination_principal: input.destinationPrincipal ? formatSpiffeId(input.destinationPrincipal) : UNKNOWN,
    destination_app: dst.app,
    destination_version: dst.version,
    destination_cluster: dst.cluster,
    request_protocol: 'tcp',
    response_flags: RESPONSE_FLAGS.none,
    connection_security_policy: input.mtls ? 'mutual_tls' : UNKNOWN,
  };
}

/** The same labels with another response flag. */
export function withFlag(labels: TcpLabels, flag: ResponseFlag): TcpLabels {
  return flag === labels.response_flags ? labels : { ...labels, response_flags: flag };
}
