// istiod's ambient model as an AddressIndex: four informers (Namespaces, Pods, Services,
// EndpointSlices) from a MeshKube feed one AddressState; after every informer's first list (and
// the policy index's, when given) the whole index is computed once, then each event recomputes
// only what it affects and listeners hear the names of the Address resources that really changed.
// A policy change recomputes the workloads of the namespaces it touches. With a waypoint directory,
// Services and workloads carry the waypoint they are bound to; a Gateway change recomputes the
// namespaces whose objects (or namespace label) name it, and a Service bound to a missing or
// not-ready waypoint is logged (its traffic fails closed).

import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { MeshKube } from '../kube/mesh-types';
import type { WatchHandlers, Watcher } from '../kube/types';
import { FailClosedReporter } from '../waypoint/fail-closed';
import { WaypointRequests } from '../waypoint/request-index';
import type { WaypointDirectory } from '../waypoint/types';
import { AddressState } from './address-state';
import type { PolicyIndex } from './policy-index';
import type { ModelSettings } from './settings';
import type { AddressIndex } from './types';

export interface AddressIndexOptions {
  readonly kube: MeshKube;
  readonly settings: ModelSettings;
  readonly logger: Logger;
  /** Where workloads' policy names come from; without it workloads list none. */
  readonly policies?: PolicyIndex;
  /** The waypoint Gateways Services and workloads bind to; without it nothing is bound to a waypoint. */
  readonly waypoints?: WaypointDirectory;
}

export { DEFAULT_MODEL_SETTINGS, modelSettings, type ModelSettings } from './settings';

type Changed = Set<string>;

export function startAddressIndex(opts: AddressIndexOptions): AddressIndex {
  const { kube, settings, logger, policies, waypoints } = opts;
  const state = new AddressState(settings, policies ? (ns, labels) => policies.workloadPolicies(ns, labels) : undefined,
    waypoints ? () => waypoints.gateways() : undefined);
  const requests = new WaypointRequests();
  const failClosed = waypoints && new FailClosedReporter(logger, () => waypoints.gateways());
  const listeners = new Set<(names: ReadonlySet<string>) => void>();
  let stopped = false;

  /** Follows which waypoint each changed Service is bound to (for the fail-closed log). */
  const trackBindings = (changed: Changed): void => {
    if (!failClosed) return;
    const current = state.addresses();
    for (const name of changed) {
      if (name.includes('//')) continue; // a workload uid, not a Service's "<ns>/<hostname>"
      const a = current.get(name);
      const svc = a?.kind === 'service' ? a.service : undefined;
      const wp = svc?.waypoint?.kind === 'hostname' ? svc.waypoint.hostname : undefined;
      const gateway = wp && `${wp.namespace}/${wp.hostname.slice(0, wp.hostname.indexOf('.'))}`;
      failClosed.service(name, svc ? `${svc.namespace}/${svc.name}` : name, gateway);
    }
  };
  const emit = (changed: Changed): void => {
    if (changed.size === 0 || stopped) return;
    trackBindings(changed);
    for (const listener of [...listeners]) {
      try {
        listener(changed);
      } catch (err) {
        logger.error(`address index: change listener failed: ${describeError(err)}`);
      }
    }
  };
  /** Runs one event's updates and reports what changed, in one notification. */
  const batch = (what: string, fn: (changed: Changed) => void): void => {
    if (stopped) return;
    const changed: Changed = new Set();
    try {
      fn(changed);
    } catch (err) {
      logger.error(`address index: ${what} failed: ${describeError(err)}`);
    }
    emit(changed);
  };
  const handlers = <T>(what: string, apply: (item: T, c: Changed) => void, remove: (item: T, c: Changed) => void): WatchHandlers<T> => ({
    synced: (items) => batch(`${what} list`, (c) => { for (const item of items) apply(item, c); }),
    added: (item) => batch(`${what} added`, (c) => apply(item, c)),
    modified: (item) => batch(`${what} modified`, (c) => apply(item, c)),
    deleted: (item) => batch(`${what} deleted`, (c) => remove(item, c)),
  });

  // Who asks for which waypoint is recorded before the state recomputes (only needed with waypoints).
  const ask = (key: string, namespace: string, labels: Readonly<Record<string, string>> | undefined): void => {
    if (!waypoints) return;
    if (labels) requests.set(key, namespace, labels);
    else requests.delete(key);
  };
  const watchers: Watcher[] = [
    kube.watchNamespaces(handlers('namespace',
      (n, c) => { ask(`Namespace/${n.name}`, n.name, n.labels); state.applyNamespace(n, c); },
      (n, c) => { ask(`Namespace/${n.name}`, n.name, undefined); state.deleteNamespace(n.name, c); })),
    kube.watchPods(handlers('pod',
      (p, c) => { ask(`Pod/${p.namespace}/${p.name}`, p.namespace, p.labels); state.applyPod(p, c); },
      (p, c) => { ask(`Pod/${p.namespace}/${p.name}`, p.namespace, undefined); state.deletePod(p.namespace, p.name, c); })),
    kube.watchServices(handlers('service',
      (s, c) => { ask(`Service/${s.namespace}/${s.name}`, s.namespace, s.labels); state.applyService(s, c); },
      (s, c) => { ask(`Service/${s.namespace}/${s.name}`, s.namespace, undefined); state.deleteService(s.namespace, s.name, c); })),
    kube.watchEndpointSlices(handlers('endpointslice',
      (s, c) => state.applyEndpointSlice(s, c), (s, c) => state.deleteEndpointSlice(s.namespace, s.name, c))),
  ];

  const unsubscribe = policies?.onWorkloadPoliciesChange((namespaces) => batch('policy change', (c) => state.policiesChanged(namespaces, c)));
  const unsubscribeWaypoints = waypoints?.onChange((keys) => batch('waypoint change', (c) => {
    state.waypointsChanged(requests.namespacesOf(keys), c);
    failClosed?.gatewaysChanged(keys);
  }));
  const synced = Promise.all([...watchers.map((w) => w.synced), ...(policies ? [policies.synced] : []),
    ...(waypoints ? [waypoints.synced] : [])]).then(() => {
    const started = Date.now();
    batch('initial build', (c) => state.rebuild(c));
    if (!stopped) logger.info(`address index: ${state.addresses().size} addresses built in ${Date.now() - started} ms`);
  });

  return {
    synced,
    addresses: () => state.addresses(),
    onChange: (listener) => {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    stop: async () => {
      stopped = true;
      listeners.clear();
      unsubscribe?.();
      unsubscribeWaypoints?.();
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}
