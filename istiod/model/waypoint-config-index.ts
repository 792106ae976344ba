// istiod's L7 model: informers for Namespaces, Services, Pods, the traffic resources (HTTPRoute,
// GRPCRoute, VirtualService, DestinationRule) and the security policies waypoints enforce
// (AuthorizationPolicy, RequestAuthentication) plus the waypoint directory feed one RouteState
// (istiod/routes/route-state.ts); after everything has synced each waypoint's WaypointConfig is
// built once, then every event rebuilds only the waypoints built from what it touched, and
// listeners hear the names of configs that really changed. Rejected resources are logged (once per
// generation); route and RequestAuthentication status is written through keyed queues, only when
// it changed (AuthorizationPolicy status belongs to the policy index).

import type { WaypointConfig } from '../../pkg/api/waypoint-types';
import { waypointConfigName } from '../../pkg/api/waypoint-types';
import { waypointConfigProblems } from '../../pkg/api/waypoint-validate';
import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { KeyedQueue } from '../kube/keyed-queue';
import type { MeshKube, MeshPolicy } from '../kube/mesh-types';
import type { WatchHandlers, Watcher } from '../kube/types';
import type { RouteSettings } from '../routes/inputs';
import { emptyTouched, RouteState, type Touched } from '../routes/route-state';
import { statusToWrite } from '../routes/status-write';
import { ROUTE_KINDS, type RouteKind } from '../routes/types';
import type { WaypointDirectory } from '../waypoint/types';
import { deepEqual } from './deep-equal';

export interface WaypointConfigIndex {
  /** Resolves after every informer and the directory have synced and the configs were built. */
  readonly synced: Promise<void>;
  /** By waypointConfigName ("<namespace>/<name>"). */
  current(): ReadonlyMap<string, WaypointConfig>;
  /** Names of configs added, changed or removed. */
  onChange(listener: (names: ReadonlySet<string>) => void): () => void;
  stop(): Promise<void>;
}

export interface WaypointConfigIndexOptions {
  readonly kube: MeshKube;
  readonly directory: WaypointDirectory;
  /** clusterId and clusterDomain; pathNormalization, rootNamespace and trustDomain for security (defaults in routes/inputs.ts). */
  readonly settings: RouteSettings;
  readonly logger: Logger;
  /** Write route status back (default true). */
  readonly writeStatus?: boolean;
}

const statusOf = (object: unknown): unknown => (typeof object === 'object' && object !== null ? (object as { status?: unknown }).status : undefined);

export function startWaypointConfigIndex(opts: WaypointConfigIndexOptions): WaypointConfigIndex {
  const { kube, directory, logger } = opts;
  const state = new RouteState(opts.settings);
  const configs = new Map<string, WaypointConfig>();
  const listeners = new Set<(names: ReadonlySet<string>) => void>();
  const refused = new Map<string, string>();
  let live = false;
  let stopped = false;

  const statusQueue = new KeyedQueue(async (key) => {
    const obj = state.object(key);
    if (!obj || stopped) return 'done';
    const view = state.status(key);
    if (!view) return 'done';
    const patch = statusToWrite(statusOf(obj.object), view, new Date());
    if (patch) await kube.writeObjectStatus(obj.kind, obj.namespace, obj.name, patch);
    return 'done';
  }, { concurrency: 2, retryInitialMs: 500, retryMaxMs: 30_000, what: 'route status', logger });

  const authnStatusQueue = new KeyedQueue(async (key) => {
    const entry = state.security.authnStatus(key);
    if (!entry || stopped) return 'done';
    const patch = statusToWrite(statusOf(entry.object), entry.view, new Date());
    if (patch) await kube.writeObjectStatus('RequestAuthentication', entry.namespace, entry.name, patch);
    return 'done';
  }, { concurrency: 1, retryInitialMs: 500, retryMaxMs: 30_000, what: 'RequestAuthentication status', logger });

  /** A config the waypoint would refuse is never published (a bug guard): the previous one stays. */
  const acceptable = (name: string, config: WaypointConfig): boolean => {
    const problems = waypointConfigProblems(config);
    if (problems.length === 0) { refused.delete(name); return true; }
    const text = problems.slice(0, 5).join('; ');
    if (refused.get(name) !== text) logger.error(`waypoint config ${name}: built an invalid config, keeping the previous one: ${text}`);
    refused.set(name, text);
    return false;
  };

  const rebuild = (t: Touched): Set<string> => {
    const changed = new Set<string>();
    for (const key of state.affected(t)) {
      const config = state.build(key);
      if (config === undefined) {
        if (configs.delete(key)) changed.add(key);
        continue;
      }
      const name = waypointConfigName(config);
      if (deepEqual(configs.get(name), config) || !acceptable(name, config)) continue;
      configs.set(name, config);
      changed.add(name);
    }
    return changed;
  };

  const publish = (t: Touched): void => {
    for (const line of t.log) logger.warn(line);
    if (!live || stopped) return;
    const changed = rebuild(t);
    if (changed.size > 0) {
      for (const l of [...listeners]) {
        try { l(changed); } catch (err) { logger.error(`waypoint config index: change listener failed: ${describeError(err)}`); }
      }
    }
    if (opts.writeStatus !== false) {
      for (const key of t.statuses ? state.objectKeys() : t.statusKeys) statusQueue.add(key);
      for (const key of t.authnStatusKeys) authnStatusQueue.add(key);
    }
  };

  const batch = (what: string, fn: (t: Touched) => void): void => {
    if (stopped) return;
    const t = emptyTouched();
    try { fn(t); } catch (err) { logger.error(`waypoint config index: ${what} failed: ${describeError(err)}`); }
    publish(t);
  };

  const handlers = <T>(what: string, apply: (item: T, t: Touched) => void, remove: (item: T, t: Touched) => void): WatchHandlers<T> => ({
    synced: (items) => batch(`${what} list`, (t) => { for (const item of items) apply(item, t); }),
    added: (item) => batch(`${what} added`, (t) => apply(item, t)),
    modified: (item) => batch(`${what} modified`, (t) => apply(item, t)),
    deleted: (item) => batch(`${what} deleted`, (t) => remove(item, t)),
  });
  const objectHandlers = (kind: RouteKind): WatchHandlers<MeshPolicy> => handlers<MeshPolicy>(kind,
    (o, t) => state.applyObject(kind, o, t), (o, t) => state.deleteObject(kind, o.namespace, o.name, t));

  const watchers: Watcher[] = [
    kube.watchNamespaces(handlers('namespace', (n, t) => state.applyNamespace(n, t), (n, t) => state.deleteNamespace(n.name, t))),
    kube.watchServices(handlers('service', (s, t) => state.applyService(s, t), (s, t) => state.deleteService(s.namespace, s.name, t))),
    kube.watchPods(handlers('pod', (p, t) => state.applyPod(p, t), (p, t) => state.deletePod(p.namespace, p.name, t))),
    ...ROUTE_KINDS.map((kind) => kube.watchObjects(kind, objectHandlers(kind))),
    kube.watchObjects('AuthorizationPolicy', handlers<MeshPolicy>('AuthorizationPolicy',
      (o, t) => state.security.applyAuthorizationPolicy(o, t), (o, t) => state.security.deleteAuthorizationPolicy(o.namespace, o.name, t))),
    kube.watchObjects('RequestAuthentication', handlers<MeshPolicy>('RequestAuthentication',
      (o, t) => state.security.applyRequestAuthentication(o, t), (o, t) => state.security.deleteRequestAuthentication(o.namespace, o.name, t))),
  ];
  const unsubscribe = directory.onChange((keys) => batch('waypoint directory change', (t) => state.setGateways(directory.gateways(), keys, t)));

  const synced = Promise.all([...watchers.map((w) => w.synced), directory.synced]).then(() => {
    if (stopped) return;
    live = true;
    batch('initial build', (t) => {
      state.setGateways(directory.gateways(), [], t);
      t.all = true;
      t.statuses = true;
      for (const key of state.security.authnStatusKeys()) t.authnStatusKeys.add(key);
    });
    logger.info(`waypoint config index: ${configs.size} waypoint configs from ${state.objectKeys().length} traffic resources`);
  });

  return {
    synced,
    current: () => configs,
    onChange: (listener) => { listeners.add(listener); return () => { listeners.delete(listener); }; },
    stop: async () => {
      stopped = true;
      listeners.clear();
      unsubscribe();
      await Promise.all(watchers.map((w) => w.stop()));
      await statusQueue.stop();
      await authnStatusQueue.stop();
    },
  };
}
