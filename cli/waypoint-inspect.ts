// `ambit waypoint list`, `status` and `delete`: read the waypoint Gateways and what binds to them
// (Namespaces, Services, Pods labelled istio.io/use-waypoint, across all namespaces — or only the
// namespace in question when the caller may not list cluster-wide, with a note), print the table
// or the status report, and delete Gateways with a warning for every binding left pointing at one.

import { renderTable } from './ztunnel-config-format';
import type { WaypointIo } from './waypoint-apply';
import type { WaypointCommand } from './waypoint-args';
import {
  BINDING_KINDS, bindingOf, bindingProblem, bindingsTo, describeBinding, sortBindings, unbindCommand, type Binding,
} from './waypoint-bindings';
import { conditionLines, deploymentLine, LABELS, waypointKey, waypointView, type WaypointView } from './waypoint-gateway';
import { KubeCallError, type WaypointApi } from './waypoint-kube';

/** Every binding in the cluster; if cluster-wide lists are forbidden, those of `scope` and a note. */
export async function collectBindings(api: WaypointApi, scope: string | undefined): Promise<{ bindings: Binding[]; note?: string }> {
  const bindings: Binding[] = [];
  let note: string | undefined;
  for (const kind of BINDING_KINDS) {
    let objects;
    try {
      objects = await api.listLabelled(kind, undefined, LABELS.useWaypoint);
    } catch (err) {
      if (!(err instanceof KubeCallError) || err.status !== 403 || scope === undefined) throw err;
      note ??= `note: bindings from other namespaces are not shown (${err.message})`;
      objects = kind === 'namespace'
        ? [await api.getNamespace(scope)].filter((o) => o !== undefined)
        : await api.listLabelled(kind, scope, LABELS.useWaypoint);
    }
    for (const o of objects) {
      const b = bindingOf(kind, o);
      if (b) bindings.push(b);
    }
  }
  return { bindings: sortBindings(bindings), ...(note ? { note } : {}) };
}

const byKey = (a: WaypointView, b: WaypointView): number => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

type ListCommand = Extract<WaypointCommand, { verb: 'list' }>;

export async function listWaypoints(cmd: ListCommand, api: WaypointApi, io: WaypointIo): Promise<number> {
  const scope = cmd.allNamespaces ? undefined : cmd.namespace ?? api.defaultNamespace;
  const waypoints = (await api.listGateways(scope)).map(waypointView).filter((v) => v.isWaypoint).sort(byKey);
  if (!waypoints.length) {
    io.out(scope === undefined ? 'no waypoints in any namespace' : `no waypoints in namespace ${scope}`);
    return 0;
  }
  const { bindings, note } = await collectBindings(api, scope);
  const rows = waypoints.map((v) => [v.namespace, v.name, v.for, v.programmed, v.addresses.join(',') || '-', String(bindingsTo(bindings, v).length)]);
  io.out(renderTable({ headers: ['NAMESPACE', 'NAME', 'FOR', 'PROGRAMMED', 'ADDRESS', 'BOUND'], rows }).trimEnd());
  if (note) io.err(note);
  return 0;
}

/** The Gateways bindings name, read once each (those already listed are reused). */
async function resolveTargets(api: WaypointApi, bindings: readonly Binding[], known: readonly WaypointView[]): Promise<Map<string, WaypointView | undefined>> {
  const views = new Map<string, WaypointView | undefined>(known.map((v) => [waypointKey(v), v]));
  for (const b of bindings) {
    const key = waypointKey(b.waypoint);
    if (views.has(key)) continue;
    const gw = await api.getGateway(b.waypoint.namespace, b.waypoint.name);
    views.set(key, gw ? waypointView(gw) : undefined);
  }
  return views;
}

type StatusCommand = Extract<WaypointCommand, { verb: 'status' }>;

export async function waypointStatus(cmd: StatusCommand, api: WaypointApi, io: WaypointIo): Promise<number> {
  const namespace = cmd.namespace ?? api.defaultNamespace;
  let waypoints: WaypointView[];
  let code = 0;
  if (cmd.name !== undefined) {
    const gw = await api.getGateway(namespace, cmd.name);
    const view = gw ? waypointView(gw) : undefined;
    if (!view) io.out(`waypoint ${namespace}/${cmd.name} does not exist`);
    else if (!view.isWaypoint) io.out(`gateway ${namespace}/${cmd.name} is not a waypoint (gatewayClassName ${view.className || 'unset'})`);
    waypoints = view?.isWaypoint ? [view] : [];
    if (!waypoints.length) code = 1;
  } else {
    waypoints = (await api.listGateways(namespace)).map(waypointView).filter((v) => v.isWaypoint).sort(byKey);
    if (!waypoints.length) {
      io.out(`no waypoints in namespace ${namespace}`);
      code = 1;
    }
  }
  const { bindings, note } = await collectBindings(api, namespace);
  for (const [i, v] of waypoints.entries()) {
    const deployments = await api.listDeployments(v.namespace, `${LABELS.gatewayName}=${v.name}`);
    const bound = bindingsTo(bindings, v);
    if (i > 0) io.out('');
    io.out(`waypoint ${waypointKey(v)}`);
    io.out(`  for:         ${v.for}`);
    io.out(`  address:     ${v.addresses.join(', ') || 'none yet'}`);
    io.out(`  ${deploymentLine(v.namespace, v.name, deployments)}`);
    io.out('  conditions:');
    for (const line of conditionLines(v)) io.out(`    ${line}`);
    io.out(bound.length ? `  bound (${bound.length}):` : '  bound: nothing uses this waypoint');
    for (const b of bound) io.out(`    ${describeBinding(b)}`);
  }
  const relevant = bindings.filter((b) => (cmd.name !== undefined
    ? b.waypoint.namespace === namespace && b.waypoint.name === cmd.name
    : b.waypoint.namespace === namespace || b.namespace === namespace));
  const targets = await resolveTargets(api, relevant, waypoints);
  const warnings = relevant.map((b) => bindingProblem(b, targets.get(waypointKey(b.waypoint)))).filter((w): w is string => w !== undefined);
  if (warnings.length) {
    if (waypoints.length || code) io.out('');
    io.out('warnings:');
    for (const w of warnings) io.out(`  ${w}`);
  }
  if (note) io.err(note);
  return code;
}

type DeleteCommand = Extract<WaypointCommand, { verb: 'delete' }>;

export async function deleteWaypoints(cmd: DeleteCommand, api: WaypointApi, io: WaypointIo): Promise<number> {
  const namespace = cmd.namespace ?? api.defaultNamespace;
  let code = 0;
  let names = [...cmd.names];
  if (cmd.all) {
    names = (await api.listGateways(namespace)).map(waypointView).filter((v) => v.isWaypoint).sort(byKey).map((v) => v.name);
    if (!names.length) {
      io.out(`no waypoints in namespace ${namespace}`);
      return 0;
    }
  }
  const deleted: string[] = [];
  for (const name of names) {
    const key = `${namespace}/${name}`;
    const gw = cmd.all ? undefined : await api.getGateway(namespace, name);
    if (!cmd.all && !gw) {
      io.err(`waypoint ${key} not found`);
      code = 1;
      continue;
    }
    if (gw && !waypointView(gw).isWaypoint) {
      io.err(`gateway ${key} is not a waypoint (gatewayClassName ${waypointView(gw).className || 'unset'}): not deleted`);
      code = 1;
      continue;
    }
    io.out(`waypoint ${key} ${(await api.deleteGateway(namespace, name)) ? 'deleted' : 'was already gone'}`);
    deleted.push(name);
  }
  if (!deleted.length) return code;
  const { bindings, note } = await collectBindings(api, namespace);
  for (const name of deleted) {
    for (const b of bindingsTo(bindings, { namespace, name })) {
      io.err(`warning: ${describeBinding(b)} still uses waypoint ${namespace}/${name}: its traffic will be refused (fail closed) until the binding is removed (${unbindCommand(b)}) or the waypoint is applied again`);
    }
  }
  if (note) io.err(note);
  return code;
}
