// Test support: an in-memory CaKube (secrets, ConfigMaps, pods, scripted token reviews, and
// watches fed by writes) so CA logic can be unit-tested without an API server, and an in-memory
// MeshKube (namespaces, pods, services, EndpointSlices behind the real list-watch loop). Not used
// by production code; the integration tests use the real local API server instead.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { silentLogger, type Logger } from '../../pkg/log/logger';
import { startListWatch, type ListWatchSource } from './list-watch';
import {
  namespacedKey, type MeshCondition, type MeshEndpointSlice, type MeshKube, type MeshNamespace, type MeshPod, type MeshPolicy,
  type MeshObjectKind, type MeshPolicyKind, type MeshService, type OwnedObject,
} from './mesh-types';
import { toMeshPolicy } from './mesh-convert';
import { ownedDiffers } from './owned-objects';
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

// ---- MeshKube in memory: the real list-watch loop over an in-memory store with a watch history,
// so tests exercise relists after 410 Gone exactly as with an API server.

export interface MemoryMeshKube extends MeshKube {
  /** Creates or replaces (by name / namespace+name). */
  setNamespace(ns: MeshNamespace): void;
  deleteNamespace(name: string): void;
  setPod(pod: MeshPod): void;
  deletePod(namespace: string, name: string): void;
  setService(service: MeshService): void;
  deleteService(namespace: string, name: string): void;
  setEndpointSlice(slice: MeshEndpointSlice): void;
  deleteEndpointSlice(namespace: string, name: string): void;
  /** Creates or replaces a policy object (raw JSON); the generation goes up when the spec changes. */
  setPolicy(kind: MeshPolicyKind, object: Record<string, unknown>): MeshPolicy;
  deletePolicy(kind: MeshPolicyKind, namespace: string, name: string): void;
  getPolicy(kind: MeshPolicyKind, namespace: string, name: string): MeshPolicy | undefined;
  /** Status writes so far, in order. */
  readonly statusWrites: { kind: MeshPolicyKind; namespace: string; name: string; conditions: readonly MeshCondition[] }[];
  /** Any watched custom kind: the same as setPolicy / deletePolicy / getPolicy. */
  setObject(kind: MeshObjectKind, object: Record<string, unknown>): MeshPolicy;
  deleteObject(kind: MeshObjectKind, namespace: string, name: string): void;
  getObject(kind: MeshObjectKind, namespace: string, name: string): MeshPolicy | undefined;
  /** Every writeObjectStatus call, in order (policy status writes included). */
  readonly objectStatusWrites: { kind: MeshObjectKind; namespace: string; name: string; status: Readonly<Record<string, unknown>> }[];
  /** Objects applied with applyOwned, by "<Kind>/<namespace>/<name>" (the last version). */
  readonly owned: Map<string, OwnedObject>;
  /** Forgets the watch history and ends every open watch with 410 Gone, so watchers relist. */
  expireWatches(): void;
  /** Lists served so far (all kinds). */
  readonly listCount: number;
  /** Watches currently open (all kinds). */
  readonly openWatches: number;
}

interface Wrapped<T> { readonly metadata: { readonly resourceVersion: string }; readonly item: T }
interface OpenWatch { onEvent(type: string, object: unknown): void }

class MemoryResource<T> {
  private readonly items = new Map<string, T>();
  private history: { rv: number; type: string; item: T }[] = [];
  private floor = 0;
  readonly watches = new Set<OpenWatch>();

  constructor(private readonly clock: { version: number; lists: number }, private readonly keyOf: (item: T) => string,
    private readonly historyLimit = 10_000) {}

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  set(item: T): void {
    const key = this.keyOf(item);
    const type = this.items.has(key) ? 'MODIFIED' : 'ADDED';
    // Stored before watchers hear of it: a handler may read (or write) the object at once.
    this.items.set(key, item);
    this.emit(type, item);
  }

  delete(key: string): void {
    const item = this.items.get(key);
    if (item === undefined) return;
    this.items.delete(key);
    this.emit('DELETED', item);
  }

  expire(): void {
    this.floor = this.clock.version;
    this.history = [];
    const open = [...this.watches];
    this.watches.clear();
    for (const w of open) w.onEvent('ERROR', { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
  }

  source(what: string): ListWatchSource<T> {
    const wrap = (item: T, rv: number): Wrapped<T> => ({ metadata: { resourceVersion: String(rv) }, item });
    return {
      what,
      list: async () => {
        this.clock.lists++;
        return { items: [...this.items.values()].map((i) => wrap(i, this.clock.version)), resourceVersion: String(this.clock.version) };
      },
      watch: async (resourceVersion, onEvent) => {
        const from = Number(resourceVersion);
        const w: OpenWatch = { onEvent };
        if (!(from >= this.floor)) {
          onEvent('ERROR', { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
          return { abort: () => undefined };
        }
        for (const e of this.history) if (e.rv > from) onEvent(e.type, wrap(e.item, e.rv));
        this.watches.add(w);
        return { abort: () => { this.watches.delete(w); } };
      },
      convert: (o) => (o as Wrapped<T>).item,
      key: this.keyOf,
    };
  }

  private emit(type: string, item: T): void {
    const rv = ++this.clock.version;
    this.history.push({ rv, type, item });
    if (this.history.length > this.historyLimit) this.floor = this.history.shift()?.rv ?? this.floor;
    for (const w of [...this.watches]) w.onEvent(type, { metadata: { resourceVersion: String(rv) }, item });
  }
}

export function memoryMeshKube(logger: Logger = silentLogger): MemoryMeshKube {
  const clock = { version: 1, lists: 0 };
  const namespaces = new MemoryResource<MeshNamespace>(clock, (n) => n.name);
  const pods = new MemoryResource<MeshPod>(clock, namespacedKey);
  const services = new MemoryResource<MeshService>(clock, namespacedKey);
  const slices = new MemoryResource<MeshEndpointSlice>(clock, namespacedKey);
  const resource = (): MemoryResource<MeshPolicy> => new MemoryResource<MeshPolicy>(clock, namespacedKey);
  const policies: Record<MeshObjectKind, MemoryResource<MeshPolicy>> = {
    AuthorizationPolicy: resource(), PeerAuthentication: resource(), RequestAuthentication: resource(), Gateway: resource(), HTTPRoute: resource(),
    GRPCRoute: resource(), VirtualService: resource(), DestinationRule: resource(),
  };
  const all = [namespaces, pods, services, slices, ...Object.values(policies)];
  const objectStatusWrites: MemoryMeshKube['objectStatusWrites'] = [];
  const owned = new Map<string, OwnedObject>();
  const backoff = { initialMs: 1, maxMs: 20 };
  const statusWrites: MemoryMeshKube['statusWrites'] = [];
  const store = (kind: MeshObjectKind, object: Record<string, unknown>): MeshPolicy => {
    const converted = toMeshPolicy(object);
    if (!converted) throw new MeshError(ErrorCode.InvalidArgument, 'a policy needs metadata.name and metadata.namespace');
    policies[kind].set(converted);
    return converted;
  };
  const writeObjectStatus: MeshKube['writeObjectStatus'] = async (kind, namespace, name, status) => {
    const current = policies[kind].get(`${namespace}/${name}`);
    if (!current) return 'gone';
    objectStatusWrites.push({ kind, namespace, name, status });
    const object = current.object as Record<string, unknown>;
    const before = (object.status ?? {}) as Record<string, unknown>;
    store(kind, { ...object, status: { ...before, ...status } });
    return 'written';
  };
  const setObject = (kind: MeshObjectKind, object: Record<string, unknown>): MeshPolicy => {
      const meta = (object.metadata ?? {}) as Record<string, unknown>;
      const current = policies[kind].get(`${String(meta.namespace)}/${String(meta.name)}`);
      const before = current?.object as Record<string, unknown> | undefined;
      const generation = !current ? 1 : JSON.stringify(before?.spec) === JSON.stringify(object.spec) ? current.generation : current.generation + 1;
      return store(kind, { ...object, metadata: { ...meta, generation }, ...(before?.status ? { status: before.status } : {}) });
  };
  const deleteObject = (kind: MeshObjectKind, namespace: string, name: string): void => policies[kind].delete(`${namespace}/${name}`);
  const getObject = (kind: MeshObjectKind, namespace: string, name: string): MeshPolicy | undefined => policies[kind].get(`${namespace}/${name}`);
  return {
    watchObjects: (kind, h) => startListWatch(policies[kind].source(kind), h, logger, backoff),
    watchPolicies: (kind, h) => startListWatch(policies[kind].source(kind), h, logger, backoff),
    writeObjectStatus,
    writePolicyStatus: async (kind, namespace, name, conditions) => {
      const result = await writeObjectStatus(kind, namespace, name, { conditions });
      if (result === 'written') statusWrites.push({ kind, namespace, name, conditions });
      return result;
    },
    applyOwned: async (object) => {
      const key = `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`;
      const existing = owned.get(key);
      owned.set(key, object);
      if (!existing) return 'created';
      return ownedDiffers(existing as unknown as Record<string, unknown>, object) ? 'updated' : 'unchanged';
    },
    setObject, deleteObject, getObject, objectStatusWrites, owned,
    setPolicy: setObject,
    deletePolicy: deleteObject,
    getPolicy: getObject,
    statusWrites,
    watchNamespaces: (h) => startListWatch(namespaces.source('namespaces'), h, logger, backoff),
    watchPods: (h) => startListWatch(pods.source('pods'), h, logger, backoff),
    watchServices: (h) => startListWatch(services.source('services'), h, logger, backoff),
    watchEndpointSlices: (h) => startListWatch(slices.source('endpointslices'), h, logger, backoff),
    setNamespace: (ns) => namespaces.set(ns),
    deleteNamespace: (name) => namespaces.delete(name),
    setPod: (pod) => pods.set(pod),
    deletePod: (namespace, name) => pods.delete(`${namespace}/${name}`),
    setService: (svc) => services.set(svc),
    deleteService: (namespace, name) => services.delete(`${namespace}/${name}`),
    setEndpointSlice: (slice) => slices.set(slice),
    deleteEndpointSlice: (namespace, name) => slices.delete(`${namespace}/${name}`),
    expireWatches: () => { for (const r of all) r.expire(); },
    get listCount() { return clock.lists; },
    get openWatches() { return all.reduce((n, r) => n + r.watches.size, 0); },
  };
}
