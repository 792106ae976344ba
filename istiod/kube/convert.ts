// Conversions from Kubernetes objects — client-node model instances or raw watch JSON, which share
// field names — to the CA's plain data types, plus the reverse for writes. Anything malformed is
// read defensively (missing fields become undefined or empty), never trusted by shape.

import type { KubeConfigMap, KubeNamespace, KubePod, KubeSecret, TokenReviewOutcome } from './types';

type Json = Record<string, unknown>;

export function asRecord(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const rec = asRecord(v);
  if (!rec) return out;
  for (const [k, value] of Object.entries(rec)) if (typeof value === 'string') out[k] = value;
  return out;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function meta(obj: unknown): Json {
  return asRecord(asRecord(obj)?.metadata) ?? {};
}

export function toNamespace(obj: unknown): KubeNamespace | undefined {
  const name = str(meta(obj).name);
  if (!name) return undefined;
  const phase = str(asRecord(asRecord(obj)?.status)?.phase);
  return phase ? { name, phase } : { name };
}

export function toConfigMap(obj: unknown): KubeConfigMap | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const resourceVersion = str(m.resourceVersion);
  return { namespace, name, labels: stringMap(m.labels), data: stringMap(asRecord(obj)?.data), ...(resourceVersion ? { resourceVersion } : {}) };
}

export function toSecret(obj: unknown): KubeSecret | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(stringMap(asRecord(obj)?.data))) data[k] = Buffer.from(v, 'base64').toString('utf8');
  const type = str(asRecord(obj)?.type);
  const resourceVersion = str(m.resourceVersion);
  return { namespace, name, data, labels: stringMap(m.labels), ...(type ? { type } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
}

export function toPod(obj: unknown): KubePod | undefined {
  const m = meta(obj);
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!name || !namespace) return undefined;
  const spec = asRecord(asRecord(obj)?.spec) ?? {};
  const nodeName = str(spec.nodeName);
  const phase = str(asRecord(asRecord(obj)?.status)?.phase);
  return {
    namespace, name, uid: str(m.uid) ?? '',
    serviceAccountName: str(spec.serviceAccountName) || str(spec.serviceAccount) || 'default',
    ...(nodeName ? { nodeName } : {}),
    ...(phase ? { phase } : {}),
    deleting: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
  };
}

export function toTokenReviewOutcome(obj: unknown): TokenReviewOutcome {
  const status = asRecord(asRecord(obj)?.status) ?? {};
  const user = asRecord(status.user) ?? {};
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(asRecord(user.extra) ?? {})) extra[k] = stringList(v);
  const error = str(status.error);
  const username = str(user.username);
  const uid = str(user.uid);
  return {
    authenticated: status.authenticated === true,
    ...(username ? { username } : {}),
    ...(uid ? { uid } : {}),
    groups: stringList(user.groups),
    extra,
    audiences: stringList(status.audiences),
    ...(error ? { error } : {}),
  };
}

export function secretBody(secret: KubeSecret): Json {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: {
      name: secret.name, namespace: secret.namespace,
      ...(secret.labels ? { labels: { ...secret.labels } } : {}),
      ...(secret.resourceVersion ? { resourceVersion: secret.resourceVersion } : {}),
    },
    ...(secret.type ? { type: secret.type } : {}),
    data,
  };
}

export function configMapBody(cm: KubeConfigMap): Json {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: cm.name, namespace: cm.namespace, labels: { ...cm.labels },
      ...(cm.resourceVersion ? { resourceVersion: cm.resourceVersion } : {}),
    },
    data: { ...cm.data },
  };
}

/** HTTP status of a client-node ApiException (or a watch error), if it carries one. */
export function httpStatusOf(err: unknown): number | undefined {
  const rec = asRecord(err);
  if (!rec) return undefined;
  if (typeof rec.code === 'number') return rec.code;
  if (typeof rec.statusCode === 'number') return rec.statusCode;
  return undefined;
}

/** The Status message inside a client-node ApiException, else the error's own message. */
export function apiMessageOf(err: unknown): string {
  const rec = asRecord(err);
  let body: unknown = rec?.body;
  if (typeof body === 'string') {
    const text = body;
    try { body = JSON.parse(text); } catch { return text.slice(0, 300); }
  }
  const message = str(asRecord(body)?.message);
  if (message) return message;
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}
