// Checks shared by every write (create, update, patch, apply): decoding the object, matching its
// apiVersion/kind/name/namespace with the URL, the dryRun and fieldValidation parameters, and
// schema validation (unknown fields → 422 or a warning; CRD type errors → 422; CRD pruning).

import { ApiError, badRequest, invalid, StatusReason } from './errors';
import { checkAgainstSchema, FieldValidation, pruneUnknown } from './field-validation';
import { decodeBody, mediaType, objectBodyFormat } from './http-io';
import { objectSchema } from './openapi';
import type { Registry } from './registry';
import { apiVersionOf, isRecord, KubeObject, ResourceType } from './types';

/** A value decoded from a request body that must be an object with (possibly empty) metadata. */
export function asKubeObject(value: unknown): KubeObject {
  if (!isRecord(value)) throw badRequest('the request body must be a JSON object');
  const meta = value.metadata;
  if (meta === undefined || meta === null) value.metadata = {};
  else if (!isRecord(meta)) throw badRequest('metadata: must be an object');
  return value as KubeObject;
}

export function decodeObjectBody(body: Buffer | undefined, contentType: string | undefined): KubeObject {
  if (!body || body.length === 0) throw badRequest('the request body is empty');
  return asKubeObject(decodeBody(body, objectBodyFormat(mediaType(contentType))));
}

/** Fills apiVersion/kind, refuses other ones, and makes name/namespace agree with the URL. */
export function alignWithUrl(type: ResourceType, obj: KubeObject, url: { namespace?: string; name?: string }): void {
  const apiVersion = apiVersionOf(type);
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== type.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind})`);
  }
  obj.apiVersion = apiVersion;
  obj.kind = type.kind;
  const meta = obj.metadata;
  if (type.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== url.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = url.namespace;
  } else if (meta.namespace !== undefined && meta.namespace !== '') {
    delete meta.namespace;
  }
  if (url.name !== undefined) {
    if (meta.name !== undefined && meta.name !== '' && meta.name !== url.name) {
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${url.name})`);
    }
    meta.name = url.name;
  }
}

export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  return values.length > 0;
}

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return FieldValidation.Warn;
  if (v === FieldValidation.Strict || v === FieldValidation.Warn || v === FieldValidation.Ignore) return v;
  throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

/**
 * Validates `obj` against its type's schema. Returns the object to store (custom resources
 * are pruned of undeclared fields) and the warnings to send; throws 422 when it is refused.
 */
export function validateFields(registry: Registry, type: ResourceType, obj: KubeObject,
  mode: FieldValidation): { obj: KubeObject; warnings: string[] } {
  const custom = registry.isCustom(type);
  const schema = objectSchema(type, custom);
  const report = checkAgainstSchema(obj, schema, custom);
  const name = obj.metadata.name ?? '';
  if (mode === FieldValidation.Strict && report.unknown.length > 0) {
    const list = report.unknown.map((p) => `unknown field "${p}"`).join(', ');
    throw new ApiError(422, StatusReason.Invalid,
      `${type.kind}${type.group ? `.${type.group}` : ''} "${name}" is invalid: strict decoding error: ${list}`,
      { name, group: type.group, kind: type.kind, causes: report.unknown.map((p) => ({ reason: 'FieldValueInvalid', field: `.${p}`, message: 'unknown field' })) });
  }
  if (report.invalid.length > 0) throw invalid(type.group, type.kind, name, report.invalid);
  const warnings = mode === FieldValidation.Warn ? report.unknown.map((p) => `unknown field "${p}"`) : [];
  const out = custom && report.unknown.length > 0 ? asKubeObject(pruneUnknown(obj, schema)) : obj;
  return { obj: out, warnings };
}
