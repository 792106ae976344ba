// istiod's ambient model as an AddressIndex: four informers (Namespaces, Pods, Services,
// EndpointSlices) from a MeshKube feed one AddressState; after every informer's first list (and
// the policy index's, when given) the whole index is computed once, then each event recomputes
// only what it affects and listeners hear the names of the Address resources that really changed.
// A policy change recomputes the workloads of the namespaces it touches.

import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { MeshKube } from '../kube/mesh-types';
import type { WatchHandlers, Watcher } from '../kube/types';
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
}

export { DEFAULT_MODEL_SETTINGS, modelSettings, type ModelSettings } from './settings';

type Changed = Set<string>;

export function startAddressIndex(opts: AddressIndexOptions): AddressIndex {
  const { kube, settings, logger, policies } = opts;
  const state = new AddressState(settings, policies ? (ns, labels) => policies.workloadPolicies(ns, labels) : undefined);
  const listeners = new Set<(names: ReadonlySet<string>) => void>();
  let stopped = false;

  const emit = (changed: Changed): void => {
    if (changed.size === 0 || stopped) return;
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

  const watchers: Watcher[] = [
    kube.watchNamespaces(handlers('namespace', (n, c) => state.applyNamespace(n, c), (n, c) => state.deleteNamespace(n.name, c))),
    kube.watchPods(handlers('pod', (p, c) => state.applyPod(p, c), (p, c) => state.deletePod(p.namespace, p.name, c))),
    kube.watchServices(handlers('service', (s, c) => state.applyService(s, c), (s, c) => state.deleteService(s.namespace, s.name, c))),
    kube.watchEndpointSlices(handlers('endpointslice',
      (s, c) => state.applyEndpointSlice(s, c), (s, c) => state.deleteEndpointSlice(s.namespace, s.name, c))),
  ];

  const unsubscribe = policies?.onWorkloadPoliciesChange((namespaces) => batch('policy change', (c) => state.policiesChanged(namespaces, c)));
  const synced = Promise.all([...watchers.map((w) => w.synced), ...(policies ? [policies.synced] : [])]).then(() => {
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
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}
