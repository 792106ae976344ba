// The MeshKube implementation over @kubernetes/client-node 1.3.0: cluster-wide list (paged) then
// watch of Namespaces, Pods, Services, EndpointSlices and the security policies through the
// list-watch loop (relist after 410 Gone, backoff after errors), the Gateway and traffic kinds
// likewise, status writes (merge patch of the status subresource), and create-or-patch of the
// objects istiod owns for waypoints. Lists and watches share one keep-alive HTTPS agent
// (keep-alive-agent.ts) instead of client-node's agent per request.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { ClientNode, KubeConfig } from './client';
import { apiMessageOf, httpStatusOf } from './convert';
import { keepAliveKubeConfig } from './keep-alive-agent';
import { BackoffSettings, DEFAULT_BACKOFF, ListWatchSource, startListWatch } from './list-watch';
import { toMeshEndpointSlice, toMeshNamespace, toMeshPod, toMeshPolicy, toMeshService } from './mesh-convert';
import { ownedDiffers } from './owned-objects';
import { namespacedKey, OBJECT_RESOURCES, type MeshKube, type MeshObjectKind, type OwnedObject } from './mesh-types';

export interface MeshKubeClientOptions {
  /** Limit for one list page (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  readonly watchBackoff?: BackoffSettings;
}

interface ListPage {
  items?: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}
type PageQuery = { limit: number; _continue?: string };

export function createMeshKubeClient(k8s: ClientNode, kc: KubeConfig, logger: Logger, opts: MeshKubeClientOptions = {}): MeshKube {
  const shared = keepAliveKubeConfig(kc);
  const core = shared.makeApiClient(k8s.CoreV1Api);
  const discovery = shared.makeApiClient(k8s.DiscoveryV1Api);
  const custom = shared.makeApiClient(k8s.CustomObjectsApi);
  const watcher = new k8s.Watch(shared);
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const pageSize = opts.pageSize ?? 500;
  const backoff = opts.watchBackoff ?? DEFAULT_BACKOFF;

  const withTimeout = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MeshError(ErrorCode.Timeout, `${what}: no answer from the Kubernetes API within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof MeshError) throw err;
      const status = httpStatusOf(err);
      throw new MeshError(ErrorCode.Unavailable, `${what} failed (${status ? `HTTP ${status}: ` : ''}${apiMessageOf(err)})`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };

  /** Every page of a list; the watch resumes from the first page's resourceVersion (the snapshot). */
  const listAll = async (what: string, page: (q: PageQuery) => Promise<unknown>): Promise<{ items: unknown[]; resourceVersion: string }> => {
    const items: unknown[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const answer = await withTimeout(`list ${what}`, () => page({ limit: pageSize, ...(token ? { _continue: token } : {}) })) as ListPage;
      items.push(...(answer.items ?? []));
      resourceVersion ??= answer.metadata?.resourceVersion ?? '';
      token = answer.metadata?._continue || answer.metadata?.continue || undefined;
    } while (token);
    return { items, resourceVersion: resourceVersion ?? '' };
  };

  const source = <T>(what: string, path: string, page: (q: PageQuery) => Promise<unknown>,
    convert: (o: unknown) => T | undefined, key: (item: T) => string): ListWatchSource<T> => ({
    what,
    list: () => listAll(what, page),
    watch: async (resourceVersion, onEvent, onDone) => {
      const query = { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) };
      const controller = await watcher.watch(path, query, (type: string, object: unknown) => onEvent(type, object), (err: unknown) => onDone(err));
      return { abort: () => controller.abort() };
    },
    convert,
    key,
  });

  /** A missing CRD lists as empty (warned once) so the rest of the mesh syncs; the watch then retries. */
  const missingCrd = new Set<MeshObjectKind>();
  const listObjects = async (kind: MeshObjectKind, q: PageQuery): Promise<unknown> => {
    const { group, version, plural } = OBJECT_RESOURCES[kind];
    try {
      const page = await custom.listCustomObjectForAllNamespaces({ group, version, plural, ...q }) as unknown;
      if (missingCrd.delete(kind)) logger.info(`list ${plural}.${group}: the ${kind} CRD is installed now`);
      return page;
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
      if (!missingCrd.has(kind)) logger.warn(`list ${plural}.${group}: the ${kind} CRD is not installed; none is enforced until it is`);
      missingCrd.add(kind);
      return { items: [], metadata: { resourceVersion: '' } };
    }
  };

  const watchObjects: MeshKube['watchObjects'] = (kind, handlers) => {
    const { group, version, plural } = OBJECT_RESOURCES[kind];
    return startListWatch(
      source(`${plural}.${group}`, `/apis/${group}/${version}/${plural}`, (q) => listObjects(kind, q), toMeshPolicy, namespacedKey),
      handlers, logger, backoff);
  };
  const writeObjectStatus: MeshKube['writeObjectStatus'] = async (kind, namespace, name, status) => {
    const { group, version, plural } = OBJECT_RESOURCES[kind];
    try {
      await withTimeout(`write status of ${kind} ${namespace}/${name}`, () => custom.patchNamespacedCustomObjectStatus(
        { group, version, plural, namespace, name, body: { status } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)));
      return 'written';
    } catch (err) {
      if (err instanceof MeshError && httpStatusOf(err.cause) === 404) return 'gone';
      throw err;
    }
  };
  const objects = shared.makeApiClient(k8s.KubernetesObjectApi);
  const applyOwned: MeshKube['applyOwned'] = async (object: OwnedObject) => {
    const what = `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`;
    type Obj = Parameters<typeof objects.create>[0];
    let existing: Record<string, unknown> | undefined;
    try {
      const header = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace } };
      existing = await withTimeout(`read ${what}`, () => objects.read(header)) as unknown as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof MeshError && httpStatusOf(err.cause) === 404)) throw err;
    }
    if (!existing) {
      await withTimeout(`create ${what}`, () => objects.create(object as unknown as Obj, undefined, undefined, 'istiod'));
      return 'created';
    }
    if (!ownedDiffers(existing, object)) return 'unchanged';
    await withTimeout(`update ${what}`, () => objects.patch(object as unknown as Obj, undefined, undefined, 'istiod', undefined, k8s.PatchStrategy.MergePatch));
    return 'updated';
  };

  return {
    watchObjects,
    writeObjectStatus,
    applyOwned,
    watchPolicies: (kind, handlers) => watchObjects(kind, handlers),
    writePolicyStatus: (kind, namespace, name, conditions) => writeObjectStatus(kind, namespace, name, { conditions }),
    watchNamespaces: (handlers) => startListWatch(
      source('namespaces', '/api/v1/namespaces', (q) => core.listNamespace(q), toMeshNamespace, (n) => n.name),
      handlers, logger, backoff),
    watchPods: (handlers) => startListWatch(
      source('pods', '/api/v1/pods', (q) => core.listPodForAllNamespaces(q), toMeshPod, namespacedKey),
      handlers, logger, backoff),
    watchServices: (handlers) => startListWatch(
      source('services', '/api/v1/services', (q) => core.listServiceForAllNamespaces(q), toMeshService, namespacedKey),
      handlers, logger, backoff),
    watchEndpointSlices: (handlers) => startListWatch(
      source('endpointslices', '/apis/discovery.k8s.io/v1/endpointslices',
        (q) => discovery.listEndpointSliceForAllNamespaces(q), toMeshEndpointSlice, namespacedKey),
      handlers, logger, backoff),
  };
}
