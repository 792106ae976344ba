// What a pod's volumes and env are made of, read from the API server's store for the kubelet:
// ConfigMap and Secret bytes (or text, for env), service-account tokens bound to the pod and node
// (signed with the requested audience), downward-API fields of the pod as it is now, the cluster
// CA; plus the Warning events (FailedMount) the kubelet records about a pod.

import { randomBytes } from 'node:crypto';
import { timestamp } from '../apiserver/object-meta';
import type { Registry } from '../apiserver/registry';
import type { Store } from '../apiserver/store';
import type { TokenSigner } from '../apiserver/tokens';
import { isRecord, type KubeObject } from '../apiserver/types';
import { fieldRef, type EnvContext } from './pod-env';
import { formatMap, type ContentLookups, type KeyData } from './volume-content';

export interface VolumeSourceDeps {
  store: Store;
  registry: Registry;
  signer: TokenSigner;
  nodeName: string;
  nodeIP: string;
  caPem: string;
  apiServer: { host: string; port: number };
  /** Audiences of tokens that ask for none (the API server's issuer). */
  tokenAudiences: string[];
}

export interface PodRef { namespace: string; name: string; uid: string; podIP: string }

export function serviceAccountOf(pod: KubeObject): string {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  return typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
}

/** Lookups for one pod's volumes; each call reads the store afresh. */
export function volumeLookups(d: VolumeSourceDeps, ref: PodRef): ContentLookups {
  const type = (plural: string) => d.registry.find('', plural)!;
  const current = (): KubeObject | undefined => {
    const pod = d.store.tryGet(type('pods'), ref.namespace, ref.name);
    return pod?.metadata.uid === ref.uid ? pod : undefined;
  };
  const keyData = (kind: 'ConfigMap' | 'Secret', name: string): KeyData | undefined => {
    const obj = d.store.tryGet(type(kind === 'ConfigMap' ? 'configmaps' : 'secrets'), ref.namespace, name);
    if (!obj) return undefined;
    const out: KeyData = {};
    const add = (v: unknown, encoding: 'utf8' | 'base64'): void => {
      for (const [k, x] of Object.entries(isRecord(v) ? v : {})) if (typeof x === 'string') out[k] = Buffer.from(x, encoding);
    };
    add(obj.data, kind === 'Secret' ? 'base64' : 'utf8');
    if (kind === 'ConfigMap') add(obj.binaryData, 'base64');
    return out;
  };
  return {
    configMap: (name) => keyData('ConfigMap', name),
    secret: (name) => keyData('Secret', name),
    clusterCA: () => d.caPem,
    token: (audience, expirationSeconds) => {
      const pod = current();
      if (!pod) throw new Error('the pod no longer exists');
      const saName = serviceAccountOf(pod);
      const sa = d.store.tryGet(type('serviceaccounts'), ref.namespace, saName);
      if (!sa) throw new Error(`serviceaccount ${JSON.stringify(saName)} not found`);
      const node = d.store.tryGet(type('nodes'), undefined, d.nodeName);
      return d.signer.issue({
        namespace: ref.namespace, serviceAccountName: saName, serviceAccountUid: sa.metadata.uid ?? '',
        audiences: audience ? [audience] : d.tokenAudiences, expirationSeconds,
        pod: { name: ref.name, uid: ref.uid },
        ...(node?.metadata.uid ? { node: { name: d.nodeName, uid: node.metadata.uid } } : {}),
      });
    },
    field: (path) => {
      const pod = current();
      if (!pod) return undefined;
      if (path === 'metadata.labels') return formatMap(pod.metadata.labels);
      if (path === 'metadata.annotations') return formatMap(pod.metadata.annotations);
      const ctx: EnvContext = { pod, podIP: ref.podIP, hostIP: d.nodeIP, apiServer: d.apiServer, lookup: () => undefined };
      return fieldRef(path, ctx);
    },
  };
}

/** What container env (configMapKeyRef, secretKeyRef, envFrom) reads: values as text, Secrets decoded. */
export function envLookup(d: Pick<VolumeSourceDeps, 'store' | 'registry'>, namespace: string): EnvContext['lookup'] {
  return (kind, name, key) => {
    const obj = d.store.tryGet(d.registry.find('', kind === 'ConfigMap' ? 'configmaps' : 'secrets')!, namespace, name);
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(isRecord(obj.data) ? obj.data : {})) {
      if (key !== undefined && k !== key) continue;
      if (typeof v === 'string') out[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
    }
    return out;
  };
}

/** Records a Warning event about the pod (what `kubectl describe pod` lists); returns why it failed. */
export function recordPodEvent(d: Pick<VolumeSourceDeps, 'store' | 'registry' | 'nodeName'>, ref: Omit<PodRef, 'podIP'>, reason: string, message: string): string | undefined {
  const now = timestamp();
  try {
    d.store.create(d.registry.find('', 'events')!, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${ref.name}.${randomBytes(8).toString('hex')}`, namespace: ref.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ref.namespace, name: ref.name, uid: ref.uid },
      reason, message, type: 'Warning', count: 1, firstTimestamp: now, lastTimestamp: now,
      source: { component: 'kubelet', host: d.nodeName }, reportingComponent: 'kubelet', reportingInstance: d.nodeName,
    });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
