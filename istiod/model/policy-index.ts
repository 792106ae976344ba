// istiod's security-policy model: informers for AuthorizationPolicies and PeerAuthentications
// feed one PolicyState (istiod/policy/policy-state.ts); listeners hear which Authorization
// resources changed (for xDS) and which namespaces' workloads list different policies now (for
// the address index); rejections go to the log; each object's status is written back through a
// keyed queue, only when its conditions really changed.

import type { Authorization } from '../../pkg/api/authorization-types';
import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { KeyedQueue } from '../kube/keyed-queue';
import type { MeshKube, MeshPolicy, MeshPolicyKind } from '../kube/mesh-types';
import type { WatchHandlers, Watcher } from '../kube/types';
import type { ConversionOptions, Labels } from '../policy/index';
import { emptyChanges, PolicyState, statusKey, type PolicyChanges } from '../policy/policy-state';
import { conditionsToWrite } from './policy-conditions';

export type NamespaceSet = ReadonlySet<string> | 'all';

export interface PolicyIndex {
  /** Resolves after both kinds have been listed once. */
  readonly synced: Promise<void>;
  /** The Authorization resources ztunnel gets, by xDS name (`ns/name`). */
  authorizations(): ReadonlyMap<string, Authorization>;
  /** Authorization names added, changed or removed. */
  onChange(listener: (names: ReadonlySet<string>) => void): () => void;
  /** The policy names a workload lists. */
  workloadPolicies(namespace: string, labels: Labels): string[];
  /** Namespaces whose workloads may list different policies now. */
  onWorkloadPoliciesChange(listener: (namespaces: NamespaceSet) => void): () => void;
  stop(): Promise<void>;
}

export interface PolicyIndexOptions {
  readonly kube: MeshKube;
  readonly conversion: ConversionOptions;
  readonly logger: Logger;
  /** Write `status.conditions` back (default true). */
  readonly writeStatus?: boolean;
  /** Clock for lastTransitionTime (tests). */
  readonly now?: () => Date;
}

export function startPolicyIndex(opts: PolicyIndexOptions): PolicyIndex {
  const { kube, logger } = opts;
  const state = new PolicyState(opts.conversion);
  const objects = new Map<string, MeshPolicy & { readonly kind: MeshPolicyKind }>();
  const nameListeners = new Set<(names: ReadonlySet<string>) => void>();
  const nsListeners = new Set<(namespaces: NamespaceSet) => void>();
  let stopped = false;
  let live = false;
  const pendingStatus = new Set<string>();

  const statusQueue = new KeyedQueue(async (key) => {
    const obj = objects.get(key);
    if (!obj || stopped) return 'done';
    const view = state.status(obj.kind, obj.namespace, obj.name);
    if (!view) return 'done';
    const conditions = conditionsToWrite(obj.conditions, view, (opts.now ?? (() => new Date()))());
    if (!conditions) return 'done';
    await kube.writePolicyStatus(obj.kind, obj.namespace, obj.name, conditions);
    return 'done';
  }, { concurrency: 2, retryInitialMs: 500, retryMaxMs: 30_000, what: 'policy status', logger });

  const notify = <T>(listeners: Set<(v: T) => void>, value: T): void => {
    for (const l of [...listeners]) {
      try { l(value); } catch (err) { logger.error(`policy index: change listener failed: ${describeError(err)}`); }
    }
  };
  const publish = (changes: PolicyChanges): void => {
    for (const line of changes.log) logger.warn(line);
    if (!live || stopped) {
      for (const k of changes.statuses) pendingStatus.add(k);
      return;
    }
    if (changes.authorizations.size > 0) notify(nameListeners, changes.authorizations);
    if (changes.namespaces === 'all' || changes.namespaces.size > 0) notify(nsListeners, changes.namespaces);
    if (opts.writeStatus !== false) for (const k of changes.statuses) statusQueue.add(k);
  };
  const batch = (what: string, fn: (changes: PolicyChanges) => void): void => {
    if (stopped) return;
    const changes = emptyChanges();
    try { fn(changes); } catch (err) { logger.error(`policy index: ${what} failed: ${describeError(err)}`); }
    publish(changes);
  };

  const handlers = (kind: MeshPolicyKind): WatchHandlers<MeshPolicy> => {
    const apply = (p: MeshPolicy, c: PolicyChanges): void => {
      objects.set(statusKey(kind, p.namespace, p.name), { ...p, kind });
      if (kind === 'AuthorizationPolicy') state.applyAuthorizationPolicy(p, c);
      else state.applyPeerAuthentication(p, c);
    };
    const remove = (p: MeshPolicy, c: PolicyChanges): void => {
      objects.delete(statusKey(kind, p.namespace, p.name));
      if (kind === 'AuthorizationPolicy') state.deleteAuthorizationPolicy(p.namespace, p.name, c);
      else state.deletePeerAuthentication(p.namespace, p.name, c);
    };
    return {
      synced: (items) => batch(`${kind} list`, (c) => { for (const p of items) apply(p, c); }),
      added: (p) => batch(`${kind} added`, (c) => apply(p, c)),
      modified: (p) => batch(`${kind} modified`, (c) => apply(p, c)),
      deleted: (p) => batch(`${kind} deleted`, (c) => remove(p, c)),
    };
  };

  const watchers: Watcher[] = [
    kube.watchPolicies('AuthorizationPolicy', handlers('AuthorizationPolicy')),
    kube.watchPolicies('PeerAuthentication', handlers('PeerAuthentication')),
  ];
  const synced = Promise.all(watchers.map((w) => w.synced)).then(() => {
    if (stopped) return;
    live = true;
    logger.info(`policy index: ${state.authorizations().size} authorizations from ${objects.size} policies`);
    if (opts.writeStatus !== false) for (const k of pendingStatus) statusQueue.add(k);
    pendingStatus.clear();
  });

  return {
    synced,
    authorizations: () => state.authorizations(),
    onChange: (listener) => { nameListeners.add(listener); return () => { nameListeners.delete(listener); }; },
    workloadPolicies: (namespace, labels) => state.workloadPolicies(namespace, labels),
    onWorkloadPoliciesChange: (listener) => { nsListeners.add(listener); return () => { nsListeners.delete(listener); }; },
    stop: async () => {
      stopped = true;
      nameListeners.clear();
      nsListeners.clear();
      await Promise.all(watchers.map((w) => w.stop()));
      await statusQueue.stop();
    },
  };
}
