// Pure checks of an object against a structural JSON schema: which fields the schema does not
// declare (for fieldValidation Strict/Warn), which values have the wrong type, an unsupported
// enum value or miss a required field (CRDs), and pruning of undeclared fields as Kubernetes
// does for custom resources.

import type { StatusCause } from './errors';
import { OBJECT_META } from './builtin-schemas';
import { cloneJson, ownValue, setOwn } from './json-values';
import { isRecord, JsonSchema } from './types';

export const FieldValidation = { Strict: 'Strict', Warn: 'Warn', Ignore: 'Ignore' } as const;
export type FieldValidation = (typeof FieldValidation)[keyof typeof FieldValidation];

export interface SchemaReport {
  /** Paths of undeclared fields, e.g. `spec.selectr` or `spec.rules[0].form`. */
  unknown: string[];
  /** Type, enum and required-field problems (only when types are checked). */
  invalid: StatusCause[];
}

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** A CRD's openAPIV3Schema as the root of an object: apiVersion, kind and full ObjectMeta. */
export function crdRootSchema(schema: JsonSchema | undefined): JsonSchema {
  const base = schema ?? { type: 'object', [PRESERVE]: true };
  return { ...base, type: 'object', properties: { ...(base.properties ?? {}), apiVersion: {}, kind: {}, metadata: OBJECT_META } };
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const describeType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

function typeMatches(value: unknown, schema: JsonSchema): boolean {
  if (schema[INT_OR_STRING] === true) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object': return isRecord(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

function shortValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks `value` against `schema`; `types` adds type/enum/required checks to the unknown-field scan. */
export function checkAgainstSchema(value: unknown, schema: JsonSchema, types: boolean): SchemaReport {
  const report: SchemaReport = { unknown: [], invalid: [] };
  inspect(value, schema, '', types, report);
  return report;
}

function inspect(value: unknown, schema: JsonSchema, path: string, types: boolean, report: SchemaReport): void {
  if (value === null || value === undefined) return;
  const intOrString = schema[INT_OR_STRING] === true;
  if (types && (schema.type || intOrString) && !typeMatches(value, schema)) {
    const wanted = intOrString ? 'integer or string' : String(schema.type);
    report.invalid.push({
      field: path, reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${describeType(value)}": ${path || 'body'} in body must be of type ${wanted}: ${shortValue(value)}`,
    });
    return;
  }
  if (types && Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    report.invalid.push({
      field: path, reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${shortValue(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => inspect(item, schema.items as JsonSchema, `${path}[${i}]`, types, report));
    return;
  }
  if (!isRecord(value)) return;
  if (types && Array.isArray(schema.required)) {
    for (const key of schema.required) {
      if (typeof key === 'string' && ownValue(value, key) === undefined) {
        report.invalid.push({ field: join(path, key), reason: 'FieldValueRequired', message: 'Required value' });
      }
    }
  }
  const props = schema.properties;
  const extra = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const child = props && Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (child) inspect(value[key], child, join(path, key), types, report);
    else if (isRecord(extra)) inspect(value[key], extra, join(path, key), types, report);
    else if (extra === true || schema[PRESERVE] === true || (!props && !schema.type)) continue;
    else report.unknown.push(join(path, key));
  }
}

/** A copy of `value` without the fields `schema` does not declare (custom resource pruning). */
export function pruneUnknown(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => pruneUnknown(v, schema.items as JsonSchema)) : cloneJson(value);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const props = schema.properties;
  const extra = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const child = props && Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    if (child) setOwn(out, key, pruneUnknown(value[key], child));
    else if (isRecord(extra)) setOwn(out, key, pruneUnknown(value[key], extra));
    else if (extra === true || schema[PRESERVE] === true || (!props && !schema.type)) setOwn(out, key, cloneJson(value[key]));
  }
  return out;
}
