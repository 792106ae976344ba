// The `scale` subresource of Deployments (what `kubectl scale` reads and patches): GET answers an
// autoscaling/v1 Scale built from the Deployment; PUT and PATCH (JSON, merge or strategic merge)
// change only spec.replicas, with the Deployment's resourceVersion for optimistic concurrency.
// Not wired by itself: resource-handlers.ts routes `subresource === 'scale'` here.

import { ApiError, badRequest, invalid, methodNotAllowed, StatusReason, unsupportedMediaType } from './errors';
import { decodeBody, mediaType } from './http-io';
import { applyJsonPatch, applyMergePatch } from './patch';
import type { Reply, ResourceCall, ResourceContext } from './resource-handlers';
import { hasScaleSubresource } from './scale-discovery';
import { isRecord, KubeObject, ResourceType } from './types';
import { decodeObjectBody, dryRunOf } from './write-checks';

const SCALE_API_VERSION = 'autoscaling/v1';
const MAX_REPLICAS = 2 ** 31 - 1;

/** A label selector object in the query-string syntax (`app=web,tier in (a,b)`), keys sorted. */
export function selectorString(selector: unknown): string {
  if (!isRecord(selector)) return '';
  const parts: Array<[string, string]> = [];
  if (isRecord(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push([k, `${k}=${String(v)}`]);
  }
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isRecord(e) || typeof e.key !== 'string') continue;
    const values = Array.isArray(e.values) ? e.values.map(String).sort().join(',') : '';
    if (e.operator === 'In') parts.push([e.key, `${e.key} in (${values})`]);
    else if (e.operator === 'NotIn') parts.push([e.key, `${e.key} notin (${values})`]);
    else if (e.operator === 'Exists') parts.push([e.key, e.key]);
    else if (e.operator === 'DoesNotExist') parts.push([e.key, `!${e.key}`]);
  }
  return parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, text]) => text).join(',');
}

/** The autoscaling/v1 Scale view of a Deployment. */
export function scaleOf(obj: KubeObject): Record<string, unknown> {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const m = obj.metadata;
  const metadata: Record<string, unknown> = {
    name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp,
  };
  for (const k of Object.keys(metadata)) if (metadata[k] === undefined) delete metadata[k];
  return {
    kind: 'Scale', apiVersion: SCALE_API_VERSION, metadata,
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorString(spec.selector) },
  };
}

function desiredReplicas(type: ResourceType, name: string, scale: Record<string, unknown>): number {
  if (scale.apiVersion !== undefined && scale.apiVersion !== '' && scale.apiVersion !== SCALE_API_VERSION) {
    throw badRequest(`the API version in the data (${String(scale.apiVersion)}) does not match the expected API version (${SCALE_API_VERSION})`);
  }
  if (scale.kind !== undefined && scale.kind !== '' && scale.kind !== 'Scale') {
    throw badRequest(`the kind in the data (${String(scale.kind)}) does not match the expected kind (Scale)`);
  }
  const meta = isRecord(scale.metadata) ? scale.metadata : {};
  if (meta.name !== undefined && meta.name !== '' && meta.name !== name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  const spec = isRecord(scale.spec) ? scale.spec : {};
  // Go's ScaleSpec.replicas is `omitempty`: an absent value is 0.
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    throw invalid(type.group, type.kind, name, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
  }
  return replicas;
}

function patchedScale(call: ResourceCall, current: Record<string, unknown>): Record<string, unknown> {
  if (!call.body || call.body.length === 0) throw badRequest('the patch body is empty');
  const kind = mediaType(call.contentType);
  let patched: unknown;
  if (kind === 'application/json-patch+json') patched = applyJsonPatch(current, decodeBody(call.body, 'json'));
  else if (kind === 'application/merge-patch+json' || kind === 'application/strategic-merge-patch+json') {
    patched = applyMergePatch(current, decodeBody(call.body, 'json'));
  } else {
    throw unsupportedMediaType('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json');
  }
  if (!isRecord(patched)) throw badRequest('the patched Scale is not an object');
  return patched;
}

/** GET, PUT or PATCH on `<deployment>/scale`. */
export function handleScale(ctx: Pick<ResourceContext, 'store'>, call: ResourceCall): Reply {
  const { type, target, method } = call;
  const name = target.name ?? '';
  if (!hasScaleSubresource(type) || !name) {
    throw new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource');
  }
  const current = ctx.store.get(type, target.namespace, name);
  if (method === 'GET') return { status: 200, body: scaleOf(current) };
  if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed('the server does not allow this method on the requested resource');
  const scale = method === 'PUT' ? decodeObjectBody(call.body, call.contentType) : patchedScale(call, scaleOf(current));
  const replicas = desiredReplicas(type, name, scale);
  const meta = isRecord(scale.metadata) ? scale.metadata : {};
  const next = structuredClone(current) as KubeObject;
  next.spec = { ...(isRecord(current.spec) ? current.spec : {}), replicas };
  // A PUT names the resourceVersion it read (a PATCH of the current object does not need one).
  next.metadata.resourceVersion = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== ''
    ? meta.resourceVersion : current.metadata.resourceVersion;
  const updated = ctx.store.update(type, next, { dryRun: dryRunOf(call.query) });
  return { status: 200, body: scaleOf(updated) };
}
