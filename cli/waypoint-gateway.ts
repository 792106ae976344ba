// The waypoint Gateway as `ambit waypoint` sees it (pure): the object `generate` prints and `apply`
// sends, and a live Gateway read back as plain data — its class, what it is for, its conditions
// (Accepted, Programmed; a condition written for an older generation does not count), its
// addresses — plus the one-line summaries used in progress output and errors.

import { dump } from 'js-yaml';
import { printable, type WaypointFor } from './waypoint-args';
import type { ManifestObject } from './kube-apply';

export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const WAYPOINT_CLASS = 'istio-waypoint';
/** The HBONE listener every waypoint has. */
export const MESH_LISTENER = { name: 'mesh', port: 15008, protocol: 'HBONE' } as const;

export const LABELS = {
  dataplaneMode: 'istio.io/dataplane-mode',
  useWaypoint: 'istio.io/use-waypoint',
  useWaypointNamespace: 'istio.io/use-waypoint-namespace',
  waypointFor: 'istio.io/waypoint-for',
  gatewayName: 'gateway.networking.k8s.io/gateway-name',
} as const;

export type Json = Record<string, unknown>;

export const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
export const recs = (v: unknown): Json[] => (Array.isArray(v) ? v.map(rec) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An object's labels (string values only). */
export function labelsOf(obj: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(rec(obj.metadata).labels))) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The Gateway `generate` prints and `apply` creates; the waypoint-for label only when --for was given. */
export function waypointGateway(namespace: string, name: string, forWhat: WaypointFor | undefined): ManifestObject {
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'Gateway',
    metadata: { name, namespace, ...(forWhat ? { labels: { [LABELS.waypointFor]: forWhat } } : {}) },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ ...MESH_LISTENER }] },
  };
}

export function gatewayYaml(obj: ManifestObject): string {
  return dump(obj, { lineWidth: -1, noRefs: true });
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  /** Written for an older generation of the Gateway than the current one. */
  readonly stale: boolean;
}

export interface WaypointView {
  readonly namespace: string;
  readonly name: string;
  readonly className: string;
  readonly isWaypoint: boolean;
  /** What the waypoint serves: its istio.io/waypoint-for label, `service` when unset. */
  readonly for: string;
  readonly conditions: readonly Condition[];
  readonly addresses: readonly string[];
  /** The Programmed condition's status (`-` when there is none). */
  readonly programmed: string;
  /** Programmed=True for the current generation. */
  readonly ready: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function waypointView(gw: Json): WaypointView {
  const meta = rec(gw.metadata);
  const status = rec(gw.status);
  const generation = num(meta.generation);
  const conditions = recs(status.conditions).map((c): Condition => {
    const seen = num(c.observedGeneration);
    return {
      type: printable(str(c.type)), status: printable(str(c.status)), reason: printable(str(c.reason)), message: printable(str(c.message)).trim(),
      stale: seen !== undefined && generation !== undefined && seen < generation,
    };
  });
  const programmed = conditions.find((c) => c.type === 'Programmed');
  const className = printable(str(rec(gw.spec).gatewayClassName));
  return {
    namespace: str(meta.namespace),
    name: str(meta.name),
    className,
    isWaypoint: className === WAYPOINT_CLASS,
    for: printable(labelsOf(gw)[LABELS.waypointFor] ?? 'service'),
    conditions,
    addresses: recs(status.addresses).map((a) => printable(str(a.value))).filter(Boolean),
    programmed: programmed?.status || '-',
    ready: programmed?.status === 'True' && !programmed.stale,
  };
}

export const waypointKey = (v: { namespace: string; name: string }): string => `${v.namespace}/${v.name}`;

/** `Programmed=False (NoReadyPods): no ready pods` — with a note when it describes an older generation. */
export function conditionLine(c: Condition): string {
  const reason = c.reason ? ` (${c.reason})` : '';
  const message = c.message ? `: ${c.message}` : '';
  return `${c.type}=${c.status || '?'}${reason}${message}${c.stale ? ' [reported for an older generation of the Gateway]' : ''}`;
}

/** Where the waypoint stands, in one line, for `apply --wait` progress. */
export function progressLine(v: WaypointView): string {
  const programmed = v.conditions.find((c) => c.type === 'Programmed');
  if (programmed) return conditionLine(programmed);
  const accepted = v.conditions.find((c) => c.type === 'Accepted');
  if (accepted) return `${conditionLine(accepted)}; not programmed yet`;
  return 'no status yet: istiod has not reported on this Gateway';
}

/** Every condition, one line each; a hint when there are none. */
export function conditionLines(v: WaypointView): string[] {
  if (!v.conditions.length) return ['no status yet: istiod has not reported on this Gateway (is istiod running? kubectl get pods -n istio-system)'];
  return v.conditions.map(conditionLine);
}

/** The waypoint Deployment's readiness, e.g. `deployment shop/waypoint: 1 of 1 replica(s) ready`. */
export function deploymentLine(namespace: string, name: string, deployments: readonly Json[]): string {
  const d = deployments.find((x) => str(rec(x.metadata).name) === name) ?? deployments[0];
  if (!d) return `no waypoint Deployment yet (istiod creates ${namespace}/${name} once it accepts the Gateway)`;
  const wanted = num(rec(d.spec).replicas) ?? 1;
  const ready = num(rec(d.status).readyReplicas) ?? 0;
  return `deployment ${namespace}/${str(rec(d.metadata).name)}: ${ready} of ${wanted} replica(s) ready`;
}

/** 120000 → `120 s`, 500 → `0.5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
