// Keeps ConfigMap `istio-ca-root-cert` (key `root-cert.pem` = the mesh's root bundle, label
// `istio.io/config: "true"`) in every active namespace. Driven by two watches: namespaces (every
// namespace listed or added is checked) and the ConfigMaps of that name in all namespaces (a
// deleted or altered copy is put back at once). Each relist of either watch is a full resync.

import type { Logger } from '../../pkg/log/logger';
import { KeyedQueue } from '../kube/keyed-queue';
import type { CaKube, KubeConfigMap, KubeNamespace, Watcher } from '../kube/types';

export const ROOT_CERT_CONFIGMAP = 'istio-ca-root-cert';
export const ROOT_CERT_CONFIGMAP_KEY = 'root-cert.pem';
export const ROOT_CERT_CONFIGMAP_LABELS: Readonly<Record<string, string>> = Object.freeze({ 'istio.io/config': 'true' });

export interface RootPublisher {
  /** Resolves once both watches have listed (the ConfigMaps themselves are written asynchronously). */
  readonly synced: Promise<void>;
  stop(): Promise<void>;
}

export interface RootPublisherOptions {
  readonly rootsPem: string;
  readonly logger: Logger;
  /** Parallel writes (default 4). */
  readonly concurrency?: number;
}

function upToDate(cm: KubeConfigMap, rootsPem: string): boolean {
  return cm.data[ROOT_CERT_CONFIGMAP_KEY] === rootsPem
    && Object.entries(ROOT_CERT_CONFIGMAP_LABELS).every(([k, v]) => cm.labels[k] === v);
}

export function startRootPublisher(kube: CaKube, opts: RootPublisherOptions): RootPublisher {
  const { rootsPem, logger } = opts;
  /** Active namespaces, as last seen by the namespace watch. */
  const active = new Set<string>();

  const desired = (namespace: string, existing?: KubeConfigMap): KubeConfigMap => ({
    namespace, name: ROOT_CERT_CONFIGMAP,
    labels: { ...(existing?.labels ?? {}), ...ROOT_CERT_CONFIGMAP_LABELS },
    data: { [ROOT_CERT_CONFIGMAP_KEY]: rootsPem },
    ...(existing?.resourceVersion ? { resourceVersion: existing.resourceVersion } : {}),
  });

  const ensure = async (namespace: string): Promise<'done' | 'retry'> => {
    if (!active.has(namespace)) return 'done';
    const existing = await kube.getConfigMap(namespace, ROOT_CERT_CONFIGMAP);
    if (existing && upToDate(existing, rootsPem)) return 'done';
    const result = existing ? await kube.replaceConfigMap(desired(namespace, existing)) : await kube.createConfigMap(desired(namespace));
    if (result.ok) {
      logger.info(`${existing ? 'updated' : 'created'} ConfigMap ${namespace}/${ROOT_CERT_CONFIGMAP}`);
      return 'done';
    }
    if (result.reason === 'NotFound' || !active.has(namespace)) return 'done'; // the namespace went away
    // Lost a race with another writer: look again right away.
    queue.add(namespace);
    return 'done';
  };
  const queue = new KeyedQueue((ns) => ensure(ns).catch((err: unknown) => {
    if (!active.has(ns)) return 'done' as const; // e.g. 403 while the namespace terminates
    throw err;
  }), { concurrency: opts.concurrency ?? 4, retryInitialMs: 200, retryMaxMs: 30_000, what: `publish ${ROOT_CERT_CONFIGMAP} in`, logger });

  const seeNamespace = (ns: KubeNamespace): void => {
    if (ns.phase === 'Terminating') { active.delete(ns.name); return; }
    if (!active.has(ns.name)) {
      active.add(ns.name);
      queue.add(ns.name);
    }
  };
  const namespaces: Watcher = kube.watchNamespaces({
    synced: (items) => {
      const listed = new Set(items.map((n) => n.name));
      for (const name of [...active]) if (!listed.has(name)) active.delete(name);
      for (const ns of items) {
        if (ns.phase === 'Terminating') active.delete(ns.name);
        else { active.add(ns.name); queue.add(ns.name); }
      }
    },
    added: seeNamespace,
    modified: seeNamespace,
    deleted: (ns) => { active.delete(ns.name); },
  });

  const checkCopy = (cm: KubeConfigMap): void => {
    if (!upToDate(cm, rootsPem)) queue.add(cm.namespace);
  };
  const copies: Watcher = kube.watchConfigMaps(`metadata.name=${ROOT_CERT_CONFIGMAP}`, {
    synced: (items) => items.forEach(checkCopy),
    added: checkCopy,
    modified: checkCopy,
    deleted: (cm) => {
      if (!active.has(cm.namespace)) return;
      logger.info(`ConfigMap ${cm.namespace}/${ROOT_CERT_CONFIGMAP} was deleted; re-creating it`);
      queue.add(cm.namespace);
    },
  });

  return {
    synced: Promise.all([namespaces.synced, copies.synced]).then(() => undefined),
    stop: async () => {
      await Promise.all([namespaces.stop(), copies.stop()]);
      await queue.stop();
    },
  };
}
