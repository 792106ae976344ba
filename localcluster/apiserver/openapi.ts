// OpenAPI v3 documents built from the registry: the /openapi/v3 index (one entry per
// group-version, its URL carrying a hash of the content) and per group-version documents whose
// paths declare the operations (with the `fieldValidation` parameter kubectl looks for) and whose
// components hold each kind's schema. Pure; the caller caches by registry version.

import { createHash } from 'node:crypto';
import { builtinSchema } from './builtin-schemas';
import { crdRootSchema } from './field-validation';
import { KUBE_VERSION } from './discovery';
import type { JsonSchema, ResourceType } from './types';

export const groupVersionPath = (t: Pick<ResourceType, 'group' | 'version'>): string =>
  (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);

/** Component name of a kind: `io.k8s.api.core.v1.Pod`, `io.istio.security.v1.AuthorizationPolicy`. */
export function schemaName(t: ResourceType): string {
  const prefix = t.group ? t.group.split('.').reverse() : ['io', 'k8s', 'api', 'core'];
  return [...prefix, t.version, t.kind].join('.');
}

/** The schema of a type's objects: a CRD's own schema, or the hand-written one of a built-in kind. */
export function objectSchema(t: ResourceType, custom: boolean): JsonSchema {
  return custom ? crdRootSchema(t.schema) : builtinSchema(t.group, t.kind);
}

const param = (name: string, where: 'path' | 'query', description: string): unknown => ({
  name, in: where, description, required: where === 'path', schema: { type: 'string', uniqueItems: true },
});

const WRITE_PARAMS = [
  param('dryRun', 'query', 'When present, changes are not persisted (valid value: All).'),
  param('fieldManager', 'query', 'Name of the actor making the change.'),
  param('fieldValidation', 'query', 'How unknown fields are handled: Ignore, Warn or Strict.'),
];

function operation(t: ResourceType, action: string, verb: string, extraParams: unknown[], body: string[] | undefined): unknown {
  const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
  const op: Record<string, unknown> = {
    description: `${verb} ${t.kind}`,
    operationId: `${verb}${t.group ? t.group.split('.')[0] : 'core'}${t.version}${t.kind}`,
    parameters: extraParams,
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: ref } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
  };
  if (body) op.requestBody = { required: true, content: Object.fromEntries(body.map((ct) => [ct, { schema: ref }])) };
  return op;
}

/**
 * Patch bodies accepted, as the patch operation's request content. kubectl computes a strategic
 * merge patch only when this lists it — so custom resources (which refuse it) leave it out.
 */
const patchTypes = (custom: boolean): string[] => ['application/json-patch+json', 'application/merge-patch+json',
  ...(custom ? [] : ['application/strategic-merge-patch+json']), 'application/apply-patch+yaml'];

function pathsOf(t: ResourceType, custom: boolean): Record<string, unknown> {
  const prefix = `/${groupVersionPath(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const common = t.namespaced ? [param('namespace', 'path', 'object name and auth scope')] : [];
  const named = [...common, param('name', 'path', `name of the ${t.kind}`)];
  const has = (v: string): boolean => t.verbs.includes(v);
  const collection: Record<string, unknown> = { parameters: common };
  if (has('list')) collection.get = operation(t, 'list', 'list', [param('labelSelector', 'query', 'label selector'), param('fieldSelector', 'query', 'field selector'), param('watch', 'query', 'watch for changes')], undefined);
  if (has('create')) collection.post = operation(t, 'post', 'create', WRITE_PARAMS, ['*/*']);
  if (has('deletecollection')) collection.delete = operation(t, 'deletecollection', 'deletecollection', [], undefined);
  const item: Record<string, unknown> = { parameters: named };
  if (has('get')) item.get = operation(t, 'get', 'read', [], undefined);
  if (has('update')) item.put = operation(t, 'put', 'replace', WRITE_PARAMS, ['*/*']);
  if (has('patch')) item.patch = operation(t, 'patch', 'patch', [...WRITE_PARAMS, param('force', 'query', 'force apply')], patchTypes(custom));
  if (has('delete')) item.delete = operation(t, 'delete', 'delete', [param('dryRun', 'query', 'dry run')], undefined);
  const paths: Record<string, unknown> = { [prefix]: collection };
  if (has('get')) paths[`${prefix}/{name}`] = item;
  else if (has('create')) {
    // kubectl decides whether the server validates fields by looking for a PATCH operation of the
    // kind carrying the fieldValidation parameter; without one it falls back to OpenAPI v2, which
    // is not served. Create-only kinds (TokenReview) therefore declare one; the server answers 405.
    paths[`${prefix}/{name}`] = { parameters: named, patch: operation(t, 'patch', 'patch', WRITE_PARAMS, ['application/merge-patch+json']) };
  }
  if (t.statusSubresource) {
    paths[`${prefix}/{name}/status`] = {
      parameters: named,
      get: operation(t, 'get', 'readStatus', [], undefined),
      put: operation(t, 'put', 'replaceStatus', WRITE_PARAMS, ['*/*']),
      patch: operation(t, 'patch', 'patchStatus', WRITE_PARAMS, patchTypes(custom)),
    };
  }
  return paths;
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined. */
export function openApiDocument(types: readonly ResourceType[], gvPath: string, isCustom: (t: ResourceType) => boolean): unknown | undefined {
  const served = types.filter((t) => groupVersionPath(t) === gvPath).sort((a, b) => (a.plural < b.plural ? -1 : 1));
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of served) {
    Object.assign(paths, pathsOf(t, isCustom(t)));
    schemas[schemaName(t)] = { ...objectSchema(t, isCustom(t)), 'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }] };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion }, paths, components: { schemas } };
}

export interface OpenApiSet {
  index: unknown;
  /** Serialized documents by group-version path. */
  documents: Map<string, string>;
}

/** Every group-version document, serialized once, plus the index pointing at them by hash. */
export function buildOpenApiSet(types: readonly ResourceType[], isCustom: (t: ResourceType) => boolean): OpenApiSet {
  const documents = new Map<string, string>();
  const paths: Record<string, unknown> = {};
  for (const gv of [...new Set(types.map(groupVersionPath))].sort()) {
    const text = JSON.stringify(openApiDocument(types, gv, isCustom));
    documents.set(gv, text);
    const hash = createHash('sha512').update(text).digest('hex').toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { index: { paths }, documents };
}
