// PATCH on a resource or its status: picks the patch kind from the Content-Type (JSON merge,
// JSON patch, strategic merge — refused for custom resources, as Kubernetes does — and
// server-side apply, which creates the object when absent), applies it to the current object
// and stores the result under the current resourceVersion (optimistic concurrency).

import { badRequest, notFound, unsupportedMediaType } from './errors';
import { decodeBody, mediaType } from './http-io';
import { applyApplyPatch, applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch';
import type { Reply, ResourceCall, ResourceContext } from './resource-handlers';
import { alignWithUrl, asKubeObject, dryRunOf, fieldValidationOf, validateFields } from './write-checks';

export const PatchType = {
  Json: 'application/json-patch+json',
  Merge: 'application/merge-patch+json',
  Strategic: 'application/strategic-merge-patch+json',
  Apply: 'application/apply-patch+yaml',
} as const;

function unsupported(custom: boolean): never {
  const accepted = custom
    ? [PatchType.Json, PatchType.Merge, PatchType.Apply]
    : [PatchType.Json, PatchType.Merge, PatchType.Strategic, PatchType.Apply];
  throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

export function applyPatchBody(ctx: ResourceContext, call: ResourceCall): Reply {
  const { type, target, query } = call;
  const custom = ctx.registry.isCustom(type);
  const kind = mediaType(call.contentType);
  if (!call.body || call.body.length === 0) throw badRequest('the patch body is empty');
  const name = target.name ?? '';
  const current = ctx.store.tryGet(type, target.namespace, name);
  const dryRun = dryRunOf(query);
  const mode = fieldValidationOf(query);
  const subresource = target.subresource === 'status' ? 'status' : undefined;
  let patched: unknown;
  switch (kind) {
    case PatchType.Json:
    case PatchType.Merge:
    case PatchType.Strategic: {
      if (kind === PatchType.Strategic && custom) unsupported(true);
      const patch = decodeBody(call.body, 'json');
      if (!current) throw notFound(type.group, type.plural, name);
      if (kind === PatchType.Json) patched = applyJsonPatch(current, patch);
      else if (kind === PatchType.Merge) patched = applyMergePatch(current, patch);
      else patched = applyStrategicMergePatch(current, patch, type.kind);
      break;
    }
    case PatchType.Apply: {
      const applied = asKubeObject(decodeBody(call.body, 'yaml'));
      if (!applied.apiVersion || !applied.kind) throw badRequest('apply patches must set apiVersion and kind');
      if (!current) {
        if (subresource) throw notFound(type.group, type.plural, name);
        alignWithUrl(type, applied, { namespace: target.namespace, name });
        const checked = validateFields(ctx.registry, type, applied, mode);
        return { status: 201, body: ctx.store.create(type, checked.obj, { dryRun }), warnings: checked.warnings };
      }
      patched = applyApplyPatch(current, applied, type.kind);
      break;
    }
    default:
      return unsupported(custom);
  }
  const obj = asKubeObject(patched);
  alignWithUrl(type, obj, { namespace: target.namespace, name });
  const checked = validateFields(ctx.registry, type, obj, mode);
  return { status: 200, body: ctx.store.update(type, checked.obj, { subresource, dryRun }), warnings: checked.warnings };
}
