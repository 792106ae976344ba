// The CaKube implementation over @kubernetes/client-node 1.3.0 (ESM-only, loaded with a real
// dynamic import from this CommonJS build): Secrets, ConfigMaps, Pods, TokenReview, and
// namespace / ConfigMap watches through the list-watch loop. HTTP failures become values
// (not found, already exists, conflict) or MeshError(Unavailable / Timeout).

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { KubeAccess } from '../config';
import type { Logger } from '../../pkg/log/logger';
import {
  apiMessageOf, configMapBody, httpStatusOf, secretBody, toConfigMap, toNamespace, toPod, toSecret, toTokenReviewOutcome,
} from './convert';
import { keepAliveKubeConfig } from './keep-alive-agent';
import { BackoffSettings, DEFAULT_BACKOFF, ListWatchSource, startListWatch } from './list-watch';
import type { CaKube, KubeConfigMap, KubeSecret, WriteResult } from './types';

export type ClientNode = typeof import('@kubernetes/client-node');
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

/** Imports @kubernetes/client-node; `new Function` keeps tsc from turning import() into require(). */
export function loadClientNode(): Promise<ClientNode> {
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<ClientNode>;
  return dynamicImport('@kubernetes/client-node');
}

export interface KubeClientOptions {
  /** Limit for one API call (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly watchBackoff?: BackoffSettings;
}

/** A KubeConfig from a kubeconfig file or the in-cluster service account. */
export async function loadKubeConfig(access: KubeAccess): Promise<{ k8s: ClientNode; kc: KubeConfig }> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  try {
    if (access.kind === 'kubeconfig') kc.loadFromFile(access.path);
    else kc.loadFromCluster();
  } catch (err) {
    const where = access.kind === 'kubeconfig' ? `kubeconfig ${access.path}` : 'the in-cluster service account';
    throw new MeshError(ErrorCode.InvalidArgument, `cannot load Kubernetes credentials from ${where}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) {
    throw new MeshError(ErrorCode.InvalidArgument, access.kind === 'kubeconfig'
      ? `kubeconfig ${access.path} has no current cluster`
      : 'not running in a cluster (KUBERNETES_SERVICE_HOST unset) and KUBECONFIG not given');
  }
  return { k8s, kc };
}

export function createKubeClient(k8s: ClientNode, kc: KubeConfig, logger: Logger, opts: KubeClientOptions = {}): CaKube {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const authn = kc.makeApiClient(k8s.AuthenticationV1Api);
  // Watches share one keep-alive agent (client-node would make one per request).
  const watcher = new k8s.Watch(keepAliveKubeConfig(kc));
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const backoff = opts.watchBackoff ?? DEFAULT_BACKOFF;

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MeshError(ErrorCode.Timeout, `${what}: no answer from the Kubernetes API within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const failure = (what: string, err: unknown): MeshError => {
    if (err instanceof MeshError) return err;
    const status = httpStatusOf(err);
    const detail = status ? `HTTP ${status}: ${apiMessageOf(err)}` : apiMessageOf(err);
    return new MeshError(ErrorCode.Unavailable, `${what} failed (${detail})`, { cause: err });
  };
  const read = async <T>(what: string, fn: () => Promise<unknown>, convert: (o: unknown) => T | undefined): Promise<T | undefined> => {
    try {
      return convert(await call(what, fn));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw failure(what, err);
    }
  };
  const write = async <T>(what: string, conflict: 'AlreadyExists' | 'Conflict', fn: () => Promise<unknown>,
    convert: (o: unknown) => T | undefined): Promise<WriteResult<T>> => {
    try {
      const object = convert(await call(what, fn));
      if (object === undefined) throw new MeshError(ErrorCode.Internal, `${what}: the API server's answer is not a valid object`);
      return { ok: true, object };
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 409) return { ok: false, reason: conflict, message: apiMessageOf(err) };
      if (status === 404) return { ok: false, reason: 'NotFound', message: apiMessageOf(err) };
      throw failure(what, err);
    }
  };
  const watchSource = <T>(what: string, path: string, fieldSelector: string | undefined,
    list: () => Promise<unknown>, convert: (o: unknown) => T | undefined, key: (item: T) => string): ListWatchSource<T> => ({
    what,
    list: async () => {
      const answer = await call(`list ${what}`, list) as { items?: unknown[]; metadata?: { resourceVersion?: string } };
      return { items: answer.items ?? [], resourceVersion: answer.metadata?.resourceVersion ?? '' };
    },
    watch: async (resourceVersion, onEvent, onDone) => {
      const query = {
        resourceVersion, allowWatchBookmarks: true, fieldSelector,
        // Servers end watches after this; the loop resumes from the last resourceVersion.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      };
      const controller = await watcher.watch(path, query, (type: string, object: unknown) => onEvent(type, object), (err: unknown) => onDone(err));
      return { abort: () => controller.abort() };
    },
    convert,
    key,
  });

  return {
    getSecret: (namespace, name) => read(`get secret ${namespace}/${name}`, () => core.readNamespacedSecret({ namespace, name }), toSecret),
    createSecret: (secret: KubeSecret) => write(`create secret ${secret.namespace}/${secret.name}`, 'AlreadyExists',
      () => core.createNamespacedSecret({ namespace: secret.namespace, body: secretBody(secret) }), toSecret),
    replaceSecret: (secret: KubeSecret) => write(`replace secret ${secret.namespace}/${secret.name}`, 'Conflict',
      () => core.replaceNamespacedSecret({ namespace: secret.namespace, name: secret.name, body: secretBody(secret) }), toSecret),

    getConfigMap: (namespace, name) => read(`get configmap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ namespace, name }), toConfigMap),
    createConfigMap: (cm: KubeConfigMap) => write(`create configmap ${cm.namespace}/${cm.name}`, 'AlreadyExists',
      () => core.createNamespacedConfigMap({ namespace: cm.namespace, body: configMapBody(cm) }), toConfigMap),
    replaceConfigMap: (cm: KubeConfigMap) => write(`replace configmap ${cm.namespace}/${cm.name}`, 'Conflict',
      () => core.replaceNamespacedConfigMap({ namespace: cm.namespace, name: cm.name, body: configMapBody(cm) }), toConfigMap),

    watchNamespaces: (handlers) => startListWatch(
      watchSource('namespaces', '/api/v1/namespaces', undefined, () => core.listNamespace({}), toNamespace, (n) => n.name),
      handlers, logger, backoff),
    watchConfigMaps: (fieldSelector, handlers) => startListWatch(
      watchSource(`configmaps (${fieldSelector})`, '/api/v1/configmaps', fieldSelector,
        () => core.listConfigMapForAllNamespaces({ fieldSelector }), toConfigMap, (c) => `${c.namespace}/${c.name}`),
      handlers, logger, backoff),

    getPod: (namespace, name) => read(`get pod ${namespace}/${name}`, () => core.readNamespacedPod({ namespace, name }), toPod),
    listPods: async (namespace, fieldSelector) => {
      const what = `list pods in ${namespace}${fieldSelector ? ` (${fieldSelector})` : ''}`;
      try {
        const list = await call(what, () => core.listNamespacedPod({ namespace, ...(fieldSelector ? { fieldSelector } : {}) }));
        return (list.items ?? []).map(toPod).filter((p) => p !== undefined);
      } catch (err) {
        throw failure(what, err);
      }
    },

    reviewToken: async (token, audiences) => {
      try {
        const review = await call('token review', () => authn.createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [...audiences] } },
        }));
        return toTokenReviewOutcome(review);
      } catch (err) {
        throw failure('token review', err);
      }
    },
  };
}
