// PATCH bodies the API server accepts: RFC 7386 JSON merge patch and RFC 6902 JSON patch live
// here; strategic merge and server-side apply (as a merge) come from strategic-merge.ts. Pure
// functions: inputs are never mutated, and bad patches become ApiErrors (400 unparseable, 422
// unappliable) so the REST layer answers with a Kubernetes Status.

import { ApiError, StatusReason, badRequest } from './errors';
import { cloneJson, hasOwn, jsonEqual, ownValue, setOwn, type JsonObject } from './json-values';
import { isRecord } from './types';

export { applyStrategicMergePatch, applyApplyPatch, strategicMergeSchemas } from './strategic-merge';
export type { FieldStrategy } from './strategic-merge';

/** Kubernetes refuses JSON patches with more operations than this. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

// ---------------------------------------------------------------------------------------------
// RFC 7386 JSON merge patch

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergeOwned(cloneJson(target), patch);
}

/** Merges `patch` into `existing`, which the caller owns (it may be modified and returned). */
function mergeOwned(existing: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return cloneJson(patch);
  const out: JsonObject = isRecord(existing) ? existing : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, mergeOwned(ownValue(out, key), value));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902 JSON patch

const JsonPatchOps = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
type JsonPatchOpName = (typeof JsonPatchOps)[number];

interface JsonPatchOp {
  op: JsonPatchOpName;
  path: string[];
  pathText: string;
  from: string[];
  fromText: string;
  value: unknown;
}

/** Signals an operation that parsed but cannot be applied to this document. */
class OpFailure extends Error {}

export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  const parsed = parseJsonPatch(ops);
  let out = cloneJson(doc);
  parsed.forEach((op, index) => {
    try {
      out = applyOp(out, op);
    } catch (err) {
      if (!(err instanceof OpFailure)) throw err;
      throw new ApiError(422, StatusReason.Invalid,
        `json patch operation ${index} (${op.op} "${op.pathText}") could not be applied: ${err.message}`,
        { causes: [{ reason: 'FieldValueInvalid', message: err.message, field: op.pathText }] });
    }
  });
  return out;
}

function parseJsonPatch(ops: unknown): JsonPatchOp[] {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a JSON array of operations');
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(413, StatusReason.RequestEntityTooLarge,
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  return ops.map((raw: unknown, index) => {
    const fail = (why: string): ApiError => badRequest(`json patch operation ${index}: ${why}`);
    if (!isRecord(raw)) throw fail('must be a JSON object');
    const op = ownValue(raw, 'op');
    if (typeof op !== 'string') throw fail('missing "op"');
    const name = JsonPatchOps.find((o) => o === op);
    if (!name) throw fail(`unknown op "${op}"`);
    const pathText = ownValue(raw, 'path');
    if (typeof pathText !== 'string') throw fail(`${op}: missing "path"`);
    const path = parsePointer(pathText, () => fail(`${op}: invalid JSON pointer "${pathText}"`));
    let fromText = '';
    let from: string[] = [];
    if (name === 'move' || name === 'copy') {
      const f = ownValue(raw, 'from');
      if (typeof f !== 'string') throw fail(`${op} "${pathText}": missing "from"`);
      fromText = f;
      from = parsePointer(f, () => fail(`${op} "${pathText}": invalid JSON pointer "${f}" in "from"`));
    }
    if ((name === 'add' || name === 'replace' || name === 'test') && !hasOwn(raw, 'value')) {
      throw fail(`${op} "${pathText}": missing "value"`);
    }
    return { op: name, path, pathText, from, fromText, value: ownValue(raw, 'value') };
  });
}

/** RFC 6901: "" is the whole document, otherwise "/"-separated tokens with ~1 → "/" and ~0 → "~". */
function parsePointer(text: string, fail: () => ApiError): string[] {
  if (text === '') return [];
  if (!text.startsWith('/') || /~(?![01])/.test(text)) throw fail();
  return text.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOp(doc: unknown, op: JsonPatchOp): unknown {
  switch (op.op) {
    case 'add': return addAt(doc, op.path, cloneJson(op.value));
    case 'remove': return removeAt(doc, op.path).doc;
    case 'replace':
      getAt(doc, op.path);
      return op.path.length === 0 ? cloneJson(op.value) : setAt(doc, op.path, cloneJson(op.value));
    case 'move': {
      if (op.fromText === op.pathText) { getAt(doc, op.from); return doc; }
      if (op.pathText.startsWith(`${op.fromText}/`)) throw new OpFailure(`cannot move "${op.fromText}" into itself`);
      const removed = removeAt(doc, op.from);
      return addAt(removed.doc, op.path, removed.value);
    }
    case 'copy': return addAt(doc, op.path, cloneJson(getAt(doc, op.from)));
    case 'test':
      if (!jsonEqual(getAt(doc, op.path), op.value)) throw new OpFailure('test failed: value does not match');
      return doc;
  }
}

function arrayIndex(list: unknown[], token: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return list.length;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(token)) throw new OpFailure(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > list.length || (!allowEnd && index === list.length)) {
    throw new OpFailure(`array index ${index} out of bounds (length ${list.length})`);
  }
  return index;
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(container, token, false)];
  if (isRecord(container) && hasOwn(container, token)) return container[token];
  throw new OpFailure('path not found');
}

function getAt(doc: unknown, path: string[]): unknown {
  return path.reduce<unknown>((cur, token) => child(cur, token), doc);
}

/** The container holding the last token of a non-empty path. */
function parentOf(doc: unknown, path: string[]): unknown {
  return getAt(doc, path.slice(0, -1));
}

function addAt(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const token = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else if (isRecord(parent)) setOwn(parent, token, value);
  else throw new OpFailure('parent is not an object or array');
  return doc;
}

function setAt(doc: unknown, path: string[], value: unknown): unknown {
  const parent = parentOf(doc, path);
  const token = path[path.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(parent, token, false)] = value;
  else if (isRecord(parent)) setOwn(parent, token, value);
  return doc;
}

function removeAt(doc: unknown, path: string[]): { doc: unknown; value: unknown } {
  if (path.length === 0) throw new OpFailure('cannot remove the whole document');
  const value = getAt(doc, path);
  const parent = parentOf(doc, path);
  const token = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, false), 1);
  else if (isRecord(parent)) delete parent[token];
  return { doc, value };
}
