// istiod's waypoint controller: watches Gateways of class istio-waypoint and the waypoint pods
// (labelled with their Gateway's name), keeps the WaypointDirectory the Address model and the L7
// config read, and reconciles each Gateway through a keyed queue (retries with backoff): apply its
// ServiceAccount, Deployment and Service (template.ts), then write its status (gateway-status.ts)
// only when it changed. One log line per reconcile that changed something; failures are logged by
// the queue and retried.

import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { KeyedQueue } from '../kube/keyed-queue';
import { namespacedKey, type MeshKube, type MeshPod, type MeshPolicy } from '../kube/mesh-types';
import type { Watcher } from '../kube/types';
import { parseWaypointGateway, type ParsedWaypoint } from './gateway';
import { statusToWrite, type GatewayStatus } from './gateway-status';
import { renderWaypoint, waypointTemplateSettings } from './template';
import { GATEWAY_NAME_LABEL, type WaypointDirectory, type WaypointGateway } from './types';

export interface WaypointControllerSettings {
  readonly trustDomain: string;
  readonly clusterId: string;
  /** Service hostnames are `<name>.<ns>.svc.<domainSuffix>` (default cluster.local). */
  readonly domainSuffix?: string;
  /** The waypoint container image (default ambit/waypoint:latest). */
  readonly image?: string;
}

export interface WaypointControllerOptions {
  readonly kube: MeshKube;
  readonly settings: WaypointControllerSettings;
  readonly logger: Logger;
  /** istiod's own namespace: the waypoints dial `istiod.<namespace>.svc:15012`. */
  readonly namespace: string;
  /** Create the waypoints' objects and write Gateway status (default true); false only keeps the directory. */
  readonly reconcile?: boolean;
  /** Clock for lastTransitionTime (tests). */
  readonly now?: () => Date;
  /** Retry backoff of a failed reconcile (default 500 ms doubling to 30 s). */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

export interface WaypointController extends WaypointDirectory {
  /** Gateways waiting for, in, or retrying a reconcile. */
  pendingReconciles(): number;
}

function sameGateway(a: WaypointGateway | undefined, b: WaypointGateway | undefined): boolean {
  if (!a || !b) return a === b;
  return a.uid === b.uid && a.generation === b.generation && a.waypointFor === b.waypointFor && a.ready === b.ready
    && a.problems.length === b.problems.length && a.problems.every((p, i) => p === b.problems[i]);
}

function describeStatus(status: GatewayStatus): string {
  return status.conditions.map((c) => `${c.type}=${c.status}${c.status === 'True' ? '' : ` (${c.reason}: ${c.message})`}`).join(', ');
}

export function startWaypointController(opts: WaypointControllerOptions): WaypointController {
  const { kube, logger } = opts;
  const domainSuffix = opts.settings.domainSuffix ?? 'cluster.local';
  const template = waypointTemplateSettings({
    istiodNamespace: opts.namespace, trustDomain: opts.settings.trustDomain, clusterId: opts.settings.clusterId, image: opts.settings.image,
  });
  const objects = new Map<string, MeshPolicy>();
  const parsed = new Map<string, ParsedWaypoint>();
  const podGateway = new Map<string, { readonly gateway: string; readonly ready: boolean }>();
  const readyPods = new Map<string, number>();
  const view = new Map<string, WaypointGateway>();
  const listeners = new Set<(keys: ReadonlySet<string>) => void>();
  let live = false;
  let stopped = false;

  const reconcile = async (key: string): Promise<'done'> => {
    const parsedNow = parsed.get(key);
    if (!parsedNow || stopped) return 'done';
    const outcomes: string[] = [];
    if (parsedNow.deployable) {
      for (const object of renderWaypoint(parsedNow.gateway, template)) {
        const result = await kube.applyOwned(object);
        if (result !== 'unchanged') outcomes.push(`${object.kind} ${result}`);
      }
    }
    // Read again after the awaits: the Gateway or its pods may have changed meanwhile.
    const gateway = view.get(key);
    const stored = objects.get(key);
    if (gateway && stored && !stopped) {
      const status = statusToWrite(gateway, stored, domainSuffix, (opts.now ?? (() => new Date()))());
      if (status) {
        const result = await kube.writeObjectStatus('Gateway', gateway.namespace, gateway.name,
          { conditions: status.conditions, addresses: status.addresses });
        if (result === 'written') outcomes.push(`status ${describeStatus(status)}`);
      }
    }
    if (outcomes.length > 0) logger.info(`waypoint ${key}: ${outcomes.join('; ')}`);
    return 'done';
  };
  const retry = opts.retry ?? { initialMs: 500, maxMs: 30_000 };
  const queue = new KeyedQueue(reconcile, {
    concurrency: 2, retryInitialMs: retry.initialMs, retryMaxMs: retry.maxMs, what: 'waypoint', logger,
  });
  const enqueue = (key: string): void => {
    if (live && !stopped && opts.reconcile !== false && parsed.has(key)) queue.add(key);
  };

  /** Recomputes the directory entry of one Gateway; its key goes into `changed` when it differs. */
  const refresh = (key: string, changed: Set<string>): void => {
    const p = parsed.get(key);
    const next = p ? Object.freeze({ ...p.gateway, ready: (readyPods.get(key) ?? 0) > 0 }) : undefined;
    if (sameGateway(view.get(key), next)) return;
    if (next) view.set(key, next);
    else view.delete(key);
    changed.add(key);
  };
  const emit = (changed: ReadonlySet<string>): void => {
    if (!live || stopped || changed.size === 0) return;
    for (const key of changed) enqueue(key);
    for (const listener of [...listeners]) {
      try {
        listener(changed);
      } catch (err) {
        logger.error(`waypoint directory: change listener failed: ${describeError(err)}`);
      }
    }
  };
  const batch = (what: string, fn: (changed: Set<string>) => void): void => {
    if (stopped) return;
    const changed = new Set<string>();
    try {
      fn(changed);
    } catch (err) {
      logger.error(`waypoint controller: ${what} failed: ${describeError(err)}`);
    }
    emit(changed);
  };

  const applyGateway = (policy: MeshPolicy, changed: Set<string>): void => {
    const key = namespacedKey(policy);
    const p = parseWaypointGateway(policy);
    if (p) {
      objects.set(key, policy);
      parsed.set(key, p);
    } else {
      objects.delete(key);
      parsed.delete(key);
    }
    refresh(key, changed);
    // Any event may be a status edit by someone else, or the echo of our own write: check it.
    enqueue(key);
  };
  const deleteGateway = (policy: MeshPolicy, changed: Set<string>): void => {
    const key = namespacedKey(policy);
    objects.delete(key);
    parsed.delete(key);
    refresh(key, changed);
  };
  const count = (gateway: string, delta: number): void => {
    const n = (readyPods.get(gateway) ?? 0) + delta;
    if (n > 0) readyPods.set(gateway, n);
    else readyPods.delete(gateway);
  };
  const setPod = (pod: MeshPod | undefined, key: string, changed: Set<string>): void => {
    const old = podGateway.get(key);
    const name = pod?.labels[GATEWAY_NAME_LABEL];
    const next = pod && name ? { gateway: `${pod.namespace}/${name}`, ready: pod.ready && !pod.deleting } : undefined;
    if (old?.gateway === next?.gateway && old?.ready === next?.ready) return;
    if (old?.ready) count(old.gateway, -1);
    if (next?.ready) count(next.gateway, 1);
    if (next) podGateway.set(key, next);
    else podGateway.delete(key);
    for (const gateway of new Set([old?.gateway, next?.gateway])) if (gateway) refresh(gateway, changed);
  };

  const watchers: Watcher[] = [
    kube.watchObjects('Gateway', {
      synced: (items) => batch('Gateway list', (c) => { for (const g of items) applyGateway(g, c); }),
      added: (g) => batch('Gateway added', (c) => applyGateway(g, c)),
      modified: (g) => batch('Gateway modified', (c) => applyGateway(g, c)),
      deleted: (g) => batch('Gateway deleted', (c) => deleteGateway(g, c)),
    }),
    kube.watchPods({
      synced: (items) => batch('pod list', (c) => { for (const p of items) setPod(p, namespacedKey(p), c); }),
      added: (p) => batch('pod added', (c) => setPod(p, namespacedKey(p), c)),
      modified: (p) => batch('pod modified', (c) => setPod(p, namespacedKey(p), c)),
      deleted: (p) => batch('pod deleted', (c) => setPod(undefined, namespacedKey(p), c)),
    }),
  ];
  const synced = Promise.all(watchers.map((w) => w.synced)).then(() => {
    if (stopped) return;
    live = true;
    const ready = [...view.values()].filter((g) => g.ready).length;
    logger.info(`waypoint controller: ${view.size} waypoint Gateways (${ready} with a ready pod)`);
    for (const key of view.keys()) enqueue(key);
  });

  return {
    synced,
    gateways: () => view,
    onChange: (listener) => {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    pendingReconciles: () => queue.size,
    stop: async () => {
      stopped = true;
      listeners.clear();
      await Promise.all(watchers.map((w) => w.stop()));
      await queue.stop();
    },
  };
}
