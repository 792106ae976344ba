// The REST verbs on resources, over the store: get, list (selectors, limit/continue), create,
// update, patch, delete and deletecollection, including the status subresource. Each call is
// synchronous from reading the current object to storing the new one, so optimistic concurrency
// holds. Returns the reply as data; the HTTP layer writes it.

import type { Authenticator } from './auth';
import { ApiError, badRequest, methodNotAllowed, StatusReason } from './errors';
import { decodeBody, mediaType, objectBodyFormat } from './http-io';
import { timestamp } from './object-meta';
import { applyPatchBody } from './patch-handler';
import type { Registry } from './registry';
import type { ResourceTarget } from './routes';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import type { ObjectPredicate, Store } from './store';
import { tokenRequest, tokenReview } from './token-endpoints';
import type { TokenSigner } from './tokens';
import { apiVersionOf, isRecord, KubeObject, ResourceType } from './types';
import { alignWithUrl, decodeObjectBody, dryRunOf, fieldValidationOf, validateFields } from './write-checks';
import { handleScale } from './scale-subresource';

export interface ResourceContext {
  store: Store;
  registry: Registry;
  signer: TokenSigner;
  auth: Authenticator;
}

export interface ResourceCall {
  method: string;
  target: ResourceTarget;
  type: ResourceType;
  query: URLSearchParams;
  contentType: string | undefined;
  body: Buffer | undefined;
}

export interface Reply {
  status: number;
  body: unknown;
  warnings?: string[];
}

export const noSuchResource = (): ApiError =>
  new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource');

/** The served type a URL names, or 404 (unknown type, version, or a namespace on a cluster type). */
export function resolveType(registry: Registry, target: ResourceTarget): ResourceType {
  const type = registry.find(target.group, target.plural);
  if (!type || type.version !== target.version) throw noSuchResource();
  if (target.namespace !== undefined && !type.namespaced) throw noSuchResource();
  return type;
}

const VERB_OF: Readonly<Record<string, string>> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Predicate of the labelSelector and fieldSelector query parameters (400 when malformed). */
export function selectorPredicate(query: URLSearchParams): ObjectPredicate | undefined {
  const label = query.get('labelSelector');
  const field = query.get('fieldSelector');
  const byLabel = label ? parseLabelSelector(label) : undefined;
  const byField = field ? parseFieldSelector(field) : undefined;
  if (!byLabel && !byField) return undefined;
  return (o) => (!byLabel || byLabel(o.metadata.labels)) && (!byField || byField(o));
}

export function handleResource(ctx: ResourceContext, call: ResourceCall): Reply {
  const { target, type, method } = call;
  const sub = target.subresource;
  if (sub === 'token' && type.group === '' && type.plural === 'serviceaccounts' && method === 'POST' && target.name && target.namespace) {
    return tokenRequest(ctx, target.namespace, target.name, call.body, call.contentType, dryRunOf(call.query));
  }
  if (type.group === 'authentication.k8s.io' && type.plural === 'tokenreviews') {
    if (method !== 'POST' || target.name) throw methodNotAllowed('the server does not allow this method on the requested resource');
    return tokenReview(ctx.auth, call.body, call.contentType);
  }
  if (sub === 'scale') return handleScale(ctx, call);
  if (sub !== undefined && (sub !== 'status' || !type.statusSubresource || !target.name)) throw noSuchResource();
  let verb = VERB_OF[method] ?? '';
  if (!target.name && method === 'GET') verb = 'list';
  if (!target.name && method === 'DELETE') verb = 'deletecollection';
  if (!type.verbs.includes(verb) || (target.name && method === 'POST') || (!target.name && (method === 'PUT' || method === 'PATCH'))) {
    throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
  const writes = method !== 'GET';
  if (writes && type.namespaced && target.namespace === undefined) {
    throw methodNotAllowed(`the server does not allow this method on the requested resource: ${type.plural} are namespaced`);
  }
  switch (verb) {
    case 'list': return { status: 200, body: list(ctx, call) };
    case 'get': return { status: 200, body: ctx.store.get(type, target.namespace, target.name ?? '') };
    case 'create': return create(ctx, call);
    case 'update': return update(ctx, call);
    case 'patch': return applyPatchBody(ctx, call);
    case 'delete': return remove(ctx, call);
    case 'deletecollection': return removeCollection(ctx, call);
    default: throw methodNotAllowed('the server does not allow this method on the requested resource');
  }
}

interface ContinueToken { k: string }

const sortKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function list(ctx: ResourceContext, call: ResourceCall): unknown {
  const { type, query } = call;
  const result = ctx.store.list(type, { namespace: call.target.namespace, predicate: selectorPredicate(query) });
  let items = result.items;
  const cont = query.get('continue');
  if (cont) {
    let token: unknown;
    try { token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')); } catch { token = undefined; }
    if (!isRecord(token) || typeof token.k !== 'string') throw badRequest('continue: invalid value: the continue token is malformed');
    const after = token.k;
    items = items.filter((o) => sortKey(o) > after);
  }
  const limitText = query.get('limit');
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: invalid value ${JSON.stringify(limitText)}`);
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (limit > 0 && items.length > limit) {
    const token: ContinueToken = { k: sortKey(items[limit - 1]) };
    metadata.continue = Buffer.from(JSON.stringify(token)).toString('base64url');
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  return { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items };
}

function create(ctx: ResourceContext, call: ResourceCall): Reply {
  const obj = decodeObjectBody(call.body, call.contentType);
  alignWithUrl(call.type, obj, { namespace: call.target.namespace });
  const checked = validateFields(ctx.registry, call.type, obj, fieldValidationOf(call.query));
  const created = ctx.store.create(call.type, checked.obj, { dryRun: dryRunOf(call.query) });
  return { status: 201, body: created, warnings: checked.warnings };
}

function update(ctx: ResourceContext, call: ResourceCall): Reply {
  const obj = decodeObjectBody(call.body, call.contentType);
  alignWithUrl(call.type, obj, { namespace: call.target.namespace, name: call.target.name });
  const checked = validateFields(ctx.registry, call.type, obj, fieldValidationOf(call.query));
  const subresource = call.target.subresource === 'status' ? 'status' : undefined;
  const updated = ctx.store.update(call.type, checked.obj, { subresource, dryRun: dryRunOf(call.query) });
  return { status: 200, body: updated, warnings: checked.warnings };
}

interface DeleteChoices { uid?: string; resourceVersion?: string; orphanDependents: boolean; dryRun: boolean }

/** DeleteOptions from the (optional) body and the query; the query's values win. */
function deleteChoices(call: ResourceCall): DeleteChoices {
  let opts: Record<string, unknown> = {};
  if (call.body && call.body.length > 0 && call.body.toString('utf8').trim() !== '') {
    const decoded = decodeBody(call.body, objectBodyFormat(mediaType(call.contentType)));
    if (!isRecord(decoded)) throw badRequest('DeleteOptions must be a JSON object');
    opts = decoded;
  }
  const pre = isRecord(opts.preconditions) ? opts.preconditions : {};
  const policy = call.query.get('propagationPolicy') ?? opts.propagationPolicy;
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Orphan", "Background", "Foreground"`);
  }
  const orphanQuery = call.query.get('orphanDependents');
  const orphan = policy === 'Orphan' || (policy === undefined && (orphanQuery === 'true' || opts.orphanDependents === true));
  const bodyDryRun = Array.isArray(opts.dryRun) && opts.dryRun.includes('All');
  return {
    uid: typeof pre.uid === 'string' ? pre.uid : undefined,
    resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined,
    orphanDependents: orphan,
    dryRun: dryRunOf(call.query) || bodyDryRun,
  };
}

function successStatus(type: ResourceType, obj: KubeObject): unknown {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: obj.metadata.name, group: type.group, kind: type.plural, uid: obj.metadata.uid },
  };
}

function remove(ctx: ResourceContext, call: ResourceCall): Reply {
  const { type, target } = call;
  const choices = deleteChoices(call);
  const result = ctx.store.delete(type, target.namespace, target.name ?? '', choices);
  const stillThere = ctx.store.tryGet(type, target.namespace, target.name ?? '');
  if (stillThere || choices.dryRun) return { status: 200, body: stillThere ?? result };
  // Kubernetes answers with the deleted object for pods and namespaces, a Status otherwise.
  const returnsObject = type.group === '' && (type.plural === 'pods' || type.plural === 'namespaces');
  if (!returnsObject) return { status: 200, body: successStatus(type, result) };
  const gone = structuredClone(result) as KubeObject;
  gone.metadata.deletionTimestamp ??= timestamp();
  return { status: 200, body: gone };
}

function removeCollection(ctx: ResourceContext, call: ResourceCall): Reply {
  const { type, target } = call;
  const choices = deleteChoices(call);
  const matching = ctx.store.list(type, { namespace: target.namespace, predicate: selectorPredicate(call.query) }).items;
  const deleted: KubeObject[] = [];
  for (const o of matching) {
    const name = o.metadata.name ?? '';
    if (!ctx.store.tryGet(type, o.metadata.namespace, name)) continue;
    deleted.push(ctx.store.delete(type, o.metadata.namespace, name, { orphanDependents: choices.orphanDependents, dryRun: choices.dryRun }));
  }
  return { status: 200, body: { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: ctx.store.resourceVersion() }, items: deleted } };
}
