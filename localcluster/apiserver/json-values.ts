// Small helpers over plain JSON values shared by the patch and selector code: own-property reads
// and writes that are safe for hostile keys such as `__proto__`, deep copy and deep equality.

import { isRecord } from './types';

export type JsonObject = Record<string, unknown>;

/** The value of an own property, or undefined — never something inherited from a prototype. */
export const ownValue = (obj: JsonObject, key: string): unknown =>
  (Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined);

export const hasOwn = (obj: JsonObject, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(obj, key);

/** Sets an own, enumerable data property even for keys like `__proto__` (no prototype change). */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A deep copy of a JSON value: plain objects and arrays are copied, everything else is shared. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => cloneJson(v)) as T;
  if (isRecord(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) setOwn(out, key, cloneJson(value[key]));
    return out as T;
  }
  return value;
}

/** Structural equality of JSON values (key order of objects does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
