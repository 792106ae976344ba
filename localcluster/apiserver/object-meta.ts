// Metadata rules shared by every resource: name validation (DNS-1123), generateName, timestamps,
// label/annotation checks, and the helpers that keep stored objects immutable and comparable.

import { randomBytes } from 'node:crypto';
import { StatusCause } from './errors';
import { isRecord, KubeObject, ResourceType } from './types';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** Kinds whose names must be DNS-1123 labels (≤ 63) rather than subdomains (≤ 253). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

export function nameProblems(type: ResourceType, name: string, field = 'metadata.name'): StatusCause[] {
  if (!name) return [{ field, message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }];
  const asLabel = LABEL_NAMED.has(type.kind);
  const max = asLabel ? 63 : 253;
  const re = asLabel ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  if (name.length > max) return [{ field, message: `Invalid value: "${name}": must be no more than ${max} characters` }];
  if (!re.test(name)) {
    const what = asLabel ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
    return [{ field, message: `Invalid value: "${name}": ${what} must consist of lower case alphanumeric characters, '-'${asLabel ? '' : " or '.'"}, and must start and end with an alphanumeric character` }];
  }
  return [];
}

function qualifiedKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a qualified name must consist of an optional DNS subdomain prefix and "/" and a name';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return 'prefix part must be a lowercase RFC 1123 subdomain';
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric character, and be at most 63 characters";
  return undefined;
}

export function labelProblems(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const { labels, annotations } = obj.metadata;
  if (labels !== undefined) {
    if (!isRecord(labels)) causes.push({ field: 'metadata.labels', message: 'Invalid value: must be a map of strings' });
    else for (const [k, v] of Object.entries(labels)) {
      const kp = qualifiedKeyProblem(k);
      if (kp) causes.push({ field: 'metadata.labels', message: `Invalid value: "${k}": ${kp}` });
      if (typeof v !== 'string') causes.push({ field: `metadata.labels[${k}]`, message: 'Invalid value: must be a string' });
      else if (v.length > 63 || (v !== '' && !LABEL_NAME.test(v))) {
        causes.push({ field: 'metadata.labels', message: `Invalid value: "${v}": a valid label value must be 63 characters or less, empty, or begin and end with an alphanumeric character with '-', '_' or '.' between` });
      }
    }
  }
  if (annotations !== undefined) {
    if (!isRecord(annotations)) causes.push({ field: 'metadata.annotations', message: 'Invalid value: must be a map of strings' });
    else {
      let size = 0;
      for (const [k, v] of Object.entries(annotations)) {
        const kp = qualifiedKeyProblem(k);
        if (kp) causes.push({ field: 'metadata.annotations', message: `Invalid value: "${k}": ${kp}` });
        if (typeof v !== 'string') causes.push({ field: `metadata.annotations[${k}]`, message: 'Invalid value: must be a string' });
        else size += k.length + v.length;
      }
      if (size > 256 * 1024) causes.push({ field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' });
    }
  }
  return causes;
}

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(length = 5): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length];
  return out;
}

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export const timestamp = (d = new Date()): string => `${d.toISOString().slice(0, 19)}Z`;

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** The object without the parts that do not make it a different object (status, RV, managed fields). */
export function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}
