// The API server's object store: typed CRUD with Kubernetes semantics (uids, resourceVersions,
// generation, optimistic concurrency, status subresource, finalizers, namespace and owner
// cascades), a bounded event history for watches (410 Gone past it), and durable snapshots.
// Stored objects are deep-frozen: readers share them, writers clone first.

import { randomUUID } from 'node:crypto';
import {
  alreadyExists, ApiError, conflict, gone, invalid, notFound, StatusCause, StatusReason,
} from './errors';
import {
  deepEqual, deepFreeze, generateNameSuffix, labelProblems, nameProblems, specPart, timestamp,
} from './object-meta';
import { loadSnapshot, Snapshot, SnapshotWriter } from './persistence';
import { apiVersionOf, KubeObject, ResourceType, typeKey } from './types';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  typeKey: string;
  rv: number;
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  old?: KubeObject;
}

export type ObjectPredicate = (obj: KubeObject) => boolean;

export interface ListOptions {
  namespace?: string;
  predicate?: ObjectPredicate;
}

export interface WatchOptions extends ListOptions {
  /** Resume after this resourceVersion; absent or '0' → synthetic ADDED events for what exists now. */
  resourceVersion?: string;
}

/** Mutating admission: may change the object (it is a private clone) or throw an ApiError. */
export type Admission = (op: 'create' | 'update', type: ResourceType, obj: KubeObject, old: KubeObject | undefined) => void;

export interface StoreOptions {
  file?: string;
  historySize?: number;
}

type Bucket = Map<string, KubeObject>; // `${namespace}/${name}` → object

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly admissions: Admission[] = [];
  private readonly writer: SnapshotWriter | undefined;
  private rv = 0;

  private constructor(private readonly options: StoreOptions) {
    this.writer = options.file ? new SnapshotWriter(options.file, () => this.snapshot()) : undefined;
  }

  /** Opens (or creates) a store; with a file, state is loaded from it and saved to it. */
  static async open(options: StoreOptions = {}): Promise<Store> {
    const store = new Store(options);
    if (options.file) {
      const snap = await loadSnapshot(options.file);
      if (snap) {
        store.rv = snap.resourceVersion;
        for (const [tk, objects] of Object.entries(snap.objects)) {
          const bucket = store.bucket(tk);
          for (const o of objects) bucket.set(keyOf(o.metadata.namespace, o.metadata.name ?? ''), deepFreeze(o));
        }
      }
    }
    return store;
  }

  addAdmission(a: Admission): void {
    this.admissions.push(a);
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.tryGet(type, namespace, name);
    if (!obj) throw notFound(type.group, type.plural, name);
    return obj;
  }

  tryGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(typeKey(type))?.get(keyOf(type.namespaced ? namespace : undefined, name));
  }

  list(type: ResourceType, opts: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const items: KubeObject[] = [];
    for (const o of this.buckets.get(typeKey(type))?.values() ?? []) {
      if (opts.namespace && o.metadata.namespace !== opts.namespace) continue;
      if (opts.predicate && !opts.predicate(o)) continue;
      items.push(o);
    }
    items.sort((a, b) => (keyOf(a.metadata.namespace, a.metadata.name ?? '') < keyOf(b.metadata.namespace, b.metadata.name ?? '') ? -1 : 1));
    return { items, resourceVersion: this.resourceVersion() };
  }

  /** With `dryRun`, every check and admission runs but nothing is stored and no event is sent. */
  create(type: ResourceType, input: KubeObject, opts: { dryRun?: boolean } = {}): KubeObject {
    const obj = structuredClone(input) as KubeObject;
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const meta = obj.metadata ?? {};
    obj.metadata = meta;
    if (!type.namespaced) delete meta.namespace;
    else this.checkNamespaceOpen(meta.namespace);
    if (!meta.name && meta.generateName) {
      for (let i = 0; i < 8 && (!meta.name || this.tryGet(type, meta.namespace, meta.name)); i++) {
        meta.name = `${meta.generateName}${generateNameSuffix()}`;
      }
    }
    const name = meta.name ?? '';
    const causes = [...nameProblems(type, name), ...labelProblems(obj)];
    if (causes.length) throw invalid(type.group, type.kind, name, causes);
    if (this.tryGet(type, meta.namespace, name)) throw alreadyExists(type.group, type.plural, name);
    if (type.statusSubresource) delete obj.status; // status is the server's to set (admission may default it)
    for (const a of this.admissions) a('create', type, obj, undefined);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    if (opts.dryRun) return deepFreeze(obj);
    return this.commit('ADDED', typeKey(type), obj, undefined);
  }

  /**
   * Replaces an object. With `subresource: 'status'` only the status changes; otherwise the
   * status is kept when the type has a status subresource. A set resourceVersion must match.
   */
  update(type: ResourceType, input: KubeObject, opts: { subresource?: 'status'; dryRun?: boolean } = {}): KubeObject {
    const name = input.metadata?.name ?? '';
    const old = this.get(type, input.metadata?.namespace, name);
    const wantRv = input.metadata?.resourceVersion;
    if (wantRv && wantRv !== old.metadata.resourceVersion) {
      throw conflict(type.group, type.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (input.metadata?.uid && input.metadata.uid !== old.metadata.uid) {
      throw conflict(type.group, type.plural, name, `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    let obj: KubeObject;
    if (opts.subresource === 'status') {
      obj = structuredClone(old) as KubeObject;
      if (input.status === undefined) delete obj.status;
      else obj.status = structuredClone(input.status);
    } else {
      obj = structuredClone(input) as KubeObject;
      obj.apiVersion = apiVersionOf(type);
      obj.kind = type.kind;
      if (type.statusSubresource) {
        if (old.status === undefined) delete obj.status;
        else obj.status = structuredClone(old.status);
      }
      const causes: StatusCause[] = labelProblems(obj);
      if (causes.length) throw invalid(type.group, type.kind, name, causes);
    }
    const meta = obj.metadata;
    for (const k of ['uid', 'creationTimestamp', 'namespace', 'name', 'deletionTimestamp', 'generation'] as const) {
      if (old.metadata[k] === undefined) delete meta[k];
      else (meta as Record<string, unknown>)[k] = old.metadata[k];
    }
    if (!type.namespaced) delete meta.namespace;
    if (!opts.subresource) for (const a of this.admissions) a('update', type, obj, old);
    if (!deepEqual(specPart(obj), specPart(old))) meta.generation = (old.metadata.generation ?? 0) + 1;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(obj, old)) return old;
    if (opts.dryRun) return deepFreeze(obj);
    if (meta.deletionTimestamp && !(meta.finalizers?.length)) return this.remove(typeKey(type), old);
    delete meta.resourceVersion;
    return this.commit('MODIFIED', typeKey(type), obj, old);
  }

  /**
   * Deletes an object: at once when it has no finalizers, else marks it with a deletionTimestamp.
   * Namespaces are emptied first; dependents (ownerReferences) are deleted unless orphaned.
   */
  delete(type: ResourceType, namespace: string | undefined, name: string,
    opts: { uid?: string; resourceVersion?: string; orphanDependents?: boolean; dryRun?: boolean } = {}): KubeObject {
    const old = this.get(type, namespace, name);
    if (opts.uid && opts.uid !== old.metadata.uid) {
      throw conflict(type.group, type.plural, name, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (opts.resourceVersion && opts.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(type.group, type.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (opts.dryRun) return old;
    let result: KubeObject;
    if (type.kind === 'Namespace' && type.group === '') {
      result = this.markDeleting(typeKey(type), old, { phase: 'Terminating' });
      this.sweepNamespace(name);
      result = this.tryGet(type, undefined, name) ?? result;
    } else if (old.metadata.finalizers?.length) {
      result = old.metadata.deletionTimestamp ? old : this.markDeleting(typeKey(type), old);
    } else {
      result = this.remove(typeKey(type), old);
    }
    if (!opts.orphanDependents && old.metadata.uid) this.deleteDependents(old.metadata.uid);
    return result;
  }

  /** Calls `fn` for every change from now on; returns the unsubscribe function. */
  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Events for one type since a resourceVersion (or synthetic ADDED for current objects), then
   * live events. Throws 410 when the history no longer reaches back that far.
   */
  watch(type: ResourceType, opts: WatchOptions, fn: (e: StoreEvent) => void): () => void {
    const tk = typeKey(type);
    const relevant = (e: StoreEvent): StoreEvent | undefined => {
      if (e.typeKey !== tk) return undefined;
      if (opts.namespace && e.object.metadata.namespace !== opts.namespace) return undefined;
      if (!opts.predicate) return e;
      const now = e.type !== 'DELETED' && opts.predicate(e.object);
      const before = e.old !== undefined && opts.predicate(e.old);
      if (e.type === 'DELETED') return before ? e : undefined;
      if (now && before) return e;
      if (now) return { ...e, type: 'ADDED' };
      if (before) return { ...e, type: 'DELETED' };
      return undefined;
    };
    const from = opts.resourceVersion && opts.resourceVersion !== '0' ? Number(opts.resourceVersion) : undefined;
    if (from !== undefined && (!Number.isInteger(from) || from < 0)) {
      throw new ApiError(400, StatusReason.BadRequest, `invalid resourceVersion "${opts.resourceVersion}"`);
    }
    const backlog: StoreEvent[] = [];
    if (from === undefined) {
      for (const o of this.list(type, opts).items) {
        backlog.push({ type: 'ADDED', typeKey: tk, rv: Number(o.metadata.resourceVersion), object: o });
      }
    } else if (from < this.rv) {
      const oldest = this.history[0]?.rv;
      if (oldest === undefined || oldest > from + 1) throw gone(`too old resource version: ${from} (${oldest === undefined ? this.rv : oldest - 1})`);
      for (const e of this.history) if (e.rv > from) { const r = relevant(e); if (r) backlog.push(r); }
    }
    for (const e of backlog) fn(e);
    return this.subscribe((e) => { const r = relevant(e); if (r) fn(r); });
  }

  /** Resolves when everything changed so far is on disk. */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  private snapshot(): Snapshot {
    const objects: Record<string, KubeObject[]> = {};
    for (const [tk, bucket] of this.buckets) if (bucket.size) objects[tk] = [...bucket.values()];
    return { format: 'ambit-apiserver/v1', resourceVersion: this.rv, objects };
  }

  private bucket(tk: string): Bucket {
    let b = this.buckets.get(tk);
    if (!b) { b = new Map(); this.buckets.set(tk, b); }
    return b;
  }

  /** Stores one change of the type stored under `tk` and tells the watchers. */
  private commit(type: EventType, tk: string, obj: KubeObject, old: KubeObject | undefined): KubeObject {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    deepFreeze(obj);
    const key = keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
    if (type === 'DELETED') this.bucket(tk).delete(key);
    else this.bucket(tk).set(key, obj);
    const event: StoreEvent = { type, typeKey: tk, rv: this.rv, object: obj, old };
    this.history.push(event);
    const max = this.options.historySize ?? 20_000;
    if (this.history.length > max) this.history.splice(0, this.history.length - max);
    this.writer?.schedule();
    for (const fn of [...this.listeners]) {
      try { fn(event); } catch (err) { process.stderr.write(`apiserver: watcher failed: ${(err as Error).stack}\n`); }
    }
    if (type !== 'ADDED' && obj.metadata.namespace) this.maybeFinishNamespace(obj.metadata.namespace);
    return obj;
  }

  private remove(tk: string, old: KubeObject): KubeObject {
    const gone = structuredClone(old) as KubeObject;
    return this.commit('DELETED', tk, gone, old);
  }

  private markDeleting(tk: string, old: KubeObject, status?: Record<string, unknown>): KubeObject {
    if (old.metadata.deletionTimestamp && !status) return old;
    const obj = structuredClone(old) as KubeObject;
    obj.metadata.deletionTimestamp ??= timestamp();
    if (status) obj.status = { ...(typeof obj.status === 'object' ? obj.status : {}), ...status };
    return this.commit('MODIFIED', tk, obj, old);
  }

  private checkNamespaceOpen(namespace: string | undefined): void {
    if (!namespace) throw invalid('', 'Object', '', [{ field: 'metadata.namespace', message: 'Required value', reason: 'FieldValueRequired' }]);
    const ns = this.buckets.get('/namespaces')?.get(keyOf(undefined, namespace));
    if (!ns) throw notFound('', 'namespaces', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, StatusReason.Forbidden, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private sweepNamespace(namespace: string): void {
    for (const [tk, bucket] of [...this.buckets]) {
      if (tk === '/namespaces') continue;
      for (const o of [...bucket.values()]) {
        if (o.metadata.namespace !== namespace) continue;
        if (o.metadata.finalizers?.length) this.markDeleting(tk, o);
        else this.remove(tk, o);
      }
    }
    this.maybeFinishNamespace(namespace);
  }

  private maybeFinishNamespace(namespace: string): void {
    const nsBucket = this.buckets.get('/namespaces');
    const ns = nsBucket?.get(keyOf(undefined, namespace));
    if (!ns?.metadata.deletionTimestamp) return;
    for (const [tk, bucket] of this.buckets) {
      if (tk === '/namespaces') continue;
      for (const o of bucket.values()) if (o.metadata.namespace === namespace) return;
    }
    this.remove('/namespaces', ns);
  }

  private deleteDependents(ownerUid: string): void {
    for (const [tk, bucket] of [...this.buckets]) {
      for (const o of [...bucket.values()]) {
        if (!o.metadata.ownerReferences?.some((r) => r.uid === ownerUid)) continue;
        const current = bucket.get(keyOf(o.metadata.namespace, o.metadata.name ?? ''));
        if (!current) continue;
        if (current.metadata.finalizers?.length) this.markDeleting(tk, current);
        else this.remove(tk, current);
        if (current.metadata.uid) this.deleteDependents(current.metadata.uid);
      }
    }
  }
}
