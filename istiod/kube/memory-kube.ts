// Test support: an in-memory CaKube (secrets, ConfigMaps, pods, scripted token reviews, and
// watches fed by writes) so CA logic can be unit-tested without an API server. Not used by
// production code; the integration tests use the real local API server instead.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type {
  CaKube, KubeConfigMap, KubeNamespace, KubePod, KubeSecret, TokenReviewOutcome, WatchHandlers, Watcher, WriteResult,
} from './types';

export interface MemoryKube extends CaKube {
  readonly secrets: Map<string, KubeSecret>;
  readonly configMaps: Map<string, KubeConfigMap>;
  readonly pods: KubePod[];
  /** token → review; unknown tokens are not authenticated. */
  readonly reviews: Map<string, TokenReviewOutcome>;
  /** When set, every call fails with Unavailable. */
  down: boolean;
  /** Called before a secret create is stored (e.g. to simulate another writer winning). */
  beforeCreateSecret?: (secret: KubeSecret) => void;
  addNamespace(name: string): void;
  deleteConfigMap(namespace: string, name: string): void;
}

export function memoryKube(): MemoryKube {
  let version = 0;
  const namespaces = new Map<string, KubeNamespace>();
  const nsWatchers = new Set<WatchHandlers<KubeNamespace>>();
  const cmWatchers = new Set<WatchHandlers<KubeConfigMap>>();
  const key = (ns: string, name: string): string => `${ns}/${name}`;
  const check = (): void => {
    if (kube.down) throw new MeshError(ErrorCode.Unavailable, 'the API server is down');
  };
  const watcher = <T>(set: Set<WatchHandlers<T>>, handlers: WatchHandlers<T>, items: () => T[]): Watcher => {
    set.add(handlers);
    handlers.synced?.(items());
    return { synced: Promise.resolve(), stop: async () => { set.delete(handlers); } };
  };
  const stamp = <T extends object>(o: T): T & { resourceVersion: string } => ({ ...o, resourceVersion: String(++version) });

  const kube: MemoryKube = {
    secrets: new Map(), configMaps: new Map(), pods: [], reviews: new Map(), down: false,
    addNamespace(name) {
      namespaces.set(name, { name, phase: 'Active' });
      for (const w of nsWatchers) w.added?.({ name, phase: 'Active' });
    },
    deleteConfigMap(namespace, name) {
      const cm = kube.configMaps.get(key(namespace, name));
      if (!cm) return;
      kube.configMaps.delete(key(namespace, name));
      for (const w of cmWatchers) w.deleted?.(cm);
    },
    async getSecret(ns, name) { check(); return kube.secrets.get(key(ns, name)); },
    async createSecret(secret): Promise<WriteResult<KubeSecret>> {
      check();
      kube.beforeCreateSecret?.(secret);
      if (kube.secrets.has(key(secret.namespace, secret.name))) return { ok: false, reason: 'AlreadyExists', message: 'already exists' };
      const stored = stamp(secret);
      kube.secrets.set(key(secret.namespace, secret.name), stored);
      return { ok: true, object: stored };
    },
    async replaceSecret(secret) {
      check();
      const stored = stamp(secret);
      kube.secrets.set(key(secret.namespace, secret.name), stored);
      return { ok: true, object: stored };
    },
    async getConfigMap(ns, name) { check(); return kube.configMaps.get(key(ns, name)); },
    async createConfigMap(cm): Promise<WriteResult<KubeConfigMap>> {
      check();
      if (!namespaces.has(cm.namespace)) return { ok: false, reason: 'NotFound', message: `namespace ${cm.namespace} not found` };
      if (kube.configMaps.has(key(cm.namespace, cm.name))) return { ok: false, reason: 'AlreadyExists', message: 'already exists' };
      const stored = stamp(cm);
      kube.configMaps.set(key(cm.namespace, cm.name), stored);
      for (const w of cmWatchers) w.added?.(stored);
      return { ok: true, object: stored };
    },
    async replaceConfigMap(cm): Promise<WriteResult<KubeConfigMap>> {
      check();
      const current = kube.configMaps.get(key(cm.namespace, cm.name));
      if (!current) return { ok: false, reason: 'NotFound', message: 'not found' };
      if (cm.resourceVersion && cm.resourceVersion !== current.resourceVersion) return { ok: false, reason: 'Conflict', message: 'conflict' };
      const stored = stamp(cm);
      kube.configMaps.set(key(cm.namespace, cm.name), stored);
      for (const w of cmWatchers) w.modified?.(stored);
      return { ok: true, object: stored };
    },
    watchNamespaces: (handlers) => watcher(nsWatchers, handlers, () => [...namespaces.values()]),
    watchConfigMaps: (_selector, handlers) => watcher(cmWatchers, handlers, () => [...kube.configMaps.values()]),
    async getPod(ns, name) { check(); return kube.pods.find((p) => p.namespace === ns && p.name === name); },
    async listPods(ns, fieldSelector) {
      check();
      const node = /^spec\.nodeName=(.*)$/.exec(fieldSelector ?? '')?.[1];
      return kube.pods.filter((p) => p.namespace === ns && (node === undefined || p.nodeName === node));
    },
    async reviewToken(token) {
      check();
      return kube.reviews.get(token) ?? { authenticated: false, groups: [], extra: {}, audiences: [], error: 'invalid bearer token' };
    },
  };
  return kube;
}
