// What binds to a waypoint (pure): a Namespace, Service or Pod labelled istio.io/use-waypoint
// (with istio.io/use-waypoint-namespace, default its own namespace; `none` means no waypoint), the
// bindings of one waypoint, and what is wrong with a binding — a waypoint that does not exist, is
// not a waypoint, does not serve that kind of traffic, or is not programmed — said the way a user
// reads it, with the command that removes the binding.

import { labelsOf, LABELS, rec, str, waypointKey, type Json, type WaypointView } from './waypoint-gateway';

export const BINDING_KINDS = ['namespace', 'service', 'pod'] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

export interface WaypointRef {
  readonly namespace: string;
  readonly name: string;
}

export interface Binding {
  readonly kind: BindingKind;
  /** The object's namespace (a Namespace's own name). */
  readonly namespace: string;
  readonly name: string;
  readonly waypoint: WaypointRef;
  /** The object also carries istio.io/use-waypoint-namespace. */
  readonly crossNamespaceLabel: boolean;
}

/** The binding an object's labels make, or undefined (no label, or `none`). */
export function bindingOf(kind: BindingKind, obj: Json): Binding | undefined {
  const meta = rec(obj.metadata);
  const name = str(meta.name);
  const namespace = kind === 'namespace' ? name : str(meta.namespace);
  const labels = labelsOf(obj);
  const waypoint = labels[LABELS.useWaypoint];
  if (!waypoint || waypoint === 'none' || !name) return undefined;
  const waypointNamespace = labels[LABELS.useWaypointNamespace];
  return {
    kind, namespace, name,
    waypoint: { namespace: waypointNamespace || namespace, name: waypoint },
    crossNamespaceLabel: waypointNamespace !== undefined,
  };
}

/** `namespace shop`, `service shop/reviews`, `pod shop/ratings-7d9f`. */
export function describeBinding(b: Binding): string {
  return b.kind === 'namespace' ? `namespace ${b.name}` : `${b.kind} ${b.namespace}/${b.name}`;
}

export function bindingsTo(bindings: readonly Binding[], ref: WaypointRef): Binding[] {
  return bindings.filter((b) => b.waypoint.namespace === ref.namespace && b.waypoint.name === ref.name);
}

/** Stable order: namespaces, then services, then pods; by namespace and name within a kind. */
export function sortBindings(bindings: readonly Binding[]): Binding[] {
  return [...bindings].sort((a, b) =>
    BINDING_KINDS.indexOf(a.kind) - BINDING_KINDS.indexOf(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** The waypoint-for values that serve a kind of binding (a namespace binding covers both kinds). */
const SERVES: Readonly<Record<BindingKind, readonly string[]>> = {
  namespace: ['service', 'workload', 'all'],
  service: ['service', 'all'],
  pod: ['workload', 'all'],
};

const TRAFFIC: Readonly<Record<string, string>> = { service: 'service traffic only', workload: 'workload traffic only' };

/**
 * What is wrong with a binding, given the Gateway it names (undefined when there is none), or
 * undefined when nothing is.
 */
export function bindingProblem(b: Binding, target: WaypointView | undefined): string | undefined {
  const head = `${describeBinding(b)} uses waypoint ${waypointKey(b.waypoint)}`;
  if (!target) return `${head}, which does not exist: its traffic is refused (fail closed)`;
  if (!target.isWaypoint) return `${head}, which is a Gateway of class ${target.className || '(none)'}, not a waypoint: its traffic is refused (fail closed)`;
  if (!SERVES[b.kind].includes(target.for)) {
    const serves = TRAFFIC[target.for] ?? 'no traffic';
    return `${head}, which serves ${serves} (${LABELS.waypointFor}=${target.for}): the binding is not accepted`;
  }
  if (!target.ready) {
    const programmed = target.conditions.find((c) => c.type === 'Programmed');
    const why = programmed
      ? `Programmed=${programmed.status}${programmed.reason ? `: ${programmed.reason}` : ''}${programmed.stale ? ', for an older generation' : ''}`
      : 'no status from istiod yet';
    return `${head}, which is not ready (${why}): its traffic is refused until it is (fail closed)`;
  }
  return undefined;
}

/** The kubectl command that removes a binding. */
export function unbindCommand(b: Binding): string {
  const what = b.kind === 'namespace' ? `namespace ${b.name}` : `${b.kind} -n ${b.namespace} ${b.name}`;
  const labels = [`${LABELS.useWaypoint}-`, ...(b.crossNamespaceLabel ? [`${LABELS.useWaypointNamespace}-`] : [])];
  return `kubectl label ${what} ${labels.join(' ')}`;
}
