// Strategic merge patch (what kubectl sends for built-in kinds) and server-side apply treated as
// a strategic merge. Owns the table of lists Kubernetes merges by key for the kinds this project
// uses, and the patch directives ($patch, $retainKeys, $deleteFromPrimitiveList/, $setElementOrder/).

import { ApiError, StatusReason, badRequest } from './errors';
import { cloneJson, hasOwn, jsonEqual, ownValue, setOwn, type JsonObject } from './json-values';
import { isRecord } from './types';

/** How one field is patched; a field missing from the table is merged (maps) or replaced (lists). */
export interface FieldStrategy {
  /** The list is merged element-wise, matching elements by this key. */
  readonly mergeKey?: string;
  /** The list holds primitives and is merged as a set. */
  readonly primitiveSet?: boolean;
  /** Strategies for the children of this map, or of each element of a keyed list. */
  readonly fields?: Readonly<Record<string, FieldStrategy>>;
}

// ---------------------------------------------------------------------------------------------
// The list-key table (plain data: add a kind or a field here)

const container: FieldStrategy = {
  mergeKey: 'name',
  fields: {
    ports: { mergeKey: 'containerPort' },
    env: { mergeKey: 'name' },
    volumeMounts: { mergeKey: 'mountPath' },
    volumeDevices: { mergeKey: 'devicePath' },
  },
};

const podSpec: FieldStrategy = {
  fields: {
    containers: container,
    initContainers: container,
    ephemeralContainers: container,
    volumes: { mergeKey: 'name' },
    imagePullSecrets: { mergeKey: 'name' },
    hostAliases: { mergeKey: 'ip' },
  },
};

const metadata: FieldStrategy = {
  fields: { ownerReferences: { mergeKey: 'uid' }, finalizers: { primitiveSet: true } },
};

const conditionsByType: FieldStrategy = { fields: { conditions: { mergeKey: 'type' } } };
const podTemplate: FieldStrategy = { fields: { metadata, spec: podSpec } };
const workload: FieldStrategy = {
  fields: { metadata, spec: { fields: { template: podTemplate } }, status: conditionsByType },
};

/** Strategy of a whole object by kind; kinds not listed get `default` (metadata lists only). */
export const strategicMergeSchemas: Readonly<Record<string, FieldStrategy>> = {
  default: { fields: { metadata } },
  Pod: {
    fields: {
      metadata, spec: podSpec,
      status: { fields: { conditions: { mergeKey: 'type' }, podIPs: { mergeKey: 'ip' } } },
    },
  },
  PodTemplate: { fields: { metadata, template: podTemplate } },
  Deployment: workload,
  DaemonSet: workload,
  StatefulSet: workload,
  ReplicaSet: workload,
  Job: workload,
  CronJob: { fields: { metadata, spec: { fields: { jobTemplate: { fields: { spec: { fields: { template: podTemplate } } } } } } } },
  Service: { fields: { metadata, spec: { fields: { ports: { mergeKey: 'port' } } } } },
  Node: {
    fields: {
      metadata,
      status: { fields: { conditions: { mergeKey: 'type' }, addresses: { mergeKey: 'type' } } },
    },
  },
};

function schemaFor(kind: string): FieldStrategy {
  return hasOwn(strategicMergeSchemas, kind) ? strategicMergeSchemas[kind] : strategicMergeSchemas.default;
}

function childStrategy(schema: FieldStrategy | undefined, key: string): FieldStrategy | undefined {
  const fields = schema?.fields;
  return fields && hasOwn(fields, key) ? fields[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// The merge

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/** Returned by a map merge whose patch says `$patch: delete`: the parent drops the map. */
const DELETED: unique symbol = Symbol('deleted');

export function applyStrategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  if (!isRecord(patch)) throw badRequest('strategic merge patch must be a JSON object');
  const base = isRecord(original) ? cloneJson(original) : {};
  const merged = mergeMap(base, patch, schemaFor(kind), '');
  return merged === DELETED ? {} : merged;
}

/** Server-side apply as a merge: `applied` strategically merged over what exists (if anything). */
export function applyApplyPatch(existing: unknown | undefined, applied: unknown, kind: string): unknown {
  if (!isRecord(applied)) throw badRequest('apply patch must be a JSON (or YAML) object');
  return applyStrategicMergePatch(existing === undefined ? {} : existing, applied, kind);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function unprocessable(message: string, field: string): ApiError {
  return new ApiError(422, StatusReason.Invalid, message,
    { causes: [{ reason: 'FieldValueInvalid', message, field }] });
}

/** Merges `patch` into `original`, which the caller owns (it is modified and returned). */
function mergeMap(original: JsonObject, patch: JsonObject, schema: FieldStrategy | undefined,
  path: string): JsonObject | typeof DELETED {
  const directive = ownValue(patch, PATCH);
  if (directive === 'delete') return DELETED;
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest[PATCH];
    return mergeMap({}, rest, schema, path);
  }
  if (directive !== undefined && directive !== 'merge') {
    throw badRequest(`${join(path, PATCH)}: unknown patch directive ${JSON.stringify(directive)}`);
  }
  if (hasOwn(patch, RETAIN_KEYS)) {
    const retain = stringList(ownValue(patch, RETAIN_KEYS), join(path, RETAIN_KEYS));
    for (const key of Object.keys(original)) if (!retain.includes(key)) delete original[key];
  }
  const keys = Object.keys(patch);
  for (const key of keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST))) {
    deleteFromPrimitiveList(original, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), patch[key], join(path, key));
  }
  for (const key of keys) {
    if (key === PATCH || key === RETAIN_KEYS || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
      || key.startsWith(SET_ELEMENT_ORDER)) continue;
    const value = patch[key];
    if (value === null) {
      delete original[key];
      continue;
    }
    const merged = mergeValue(ownValue(original, key), value, childStrategy(schema, key), join(path, key));
    if (merged === DELETED) delete original[key];
    else setOwn(original, key, merged);
  }
  for (const key of keys.filter((k) => k.startsWith(SET_ELEMENT_ORDER))) {
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const list = ownValue(original, field);
    const strategy = childStrategy(schema, field);
    if (Array.isArray(list) && (strategy?.mergeKey || strategy?.primitiveSet)) {
      setOwn(original, field, applyElementOrder(list, patch[key], strategy.mergeKey, join(path, key)));
    }
  }
  return original;
}

function mergeValue(existing: unknown, value: unknown, schema: FieldStrategy | undefined,
  path: string): unknown {
  if (isRecord(value)) return mergeMap(isRecord(existing) ? existing : {}, value, schema, path);
  if (!Array.isArray(value)) return cloneJson(value);
  const base = Array.isArray(existing) ? existing : [];
  if (schema?.mergeKey) return mergeKeyedList(base, value, schema, schema.mergeKey, path);
  if (schema?.primitiveSet) {
    const out = [...base];
    for (const v of value) if (!out.some((o) => jsonEqual(o, v))) out.push(cloneJson(v));
    return out;
  }
  // A list Kubernetes does not merge: replaced wholesale (directive keys inside still dropped).
  const out: unknown[] = [];
  for (const v of value) {
    const el = mergeValue(undefined, v, undefined, path);
    if (el !== DELETED) out.push(el);
  }
  return out;
}

function mergeKeyedList(original: unknown[], patch: unknown[], schema: FieldStrategy, key: string,
  path: string): unknown[] {
  const isReplace = (el: unknown): boolean => isRecord(el) && ownValue(el, PATCH) === 'replace';
  if (patch.some(isReplace)) return mergeKeyedList([], patch.filter((el) => !isReplace(el)), schema, key, path);
  let out = [...original];
  patch.forEach((el, index) => {
    if (!isRecord(el)) throw unprocessable(`${path}[${index}]: expected an object in a list merged by "${key}"`, path);
    const id = ownValue(el, key);
    if (id === undefined) {
      throw unprocessable(`${path}[${index}]: does not contain declared merge key "${key}"`, `${path}[${index}]`);
    }
    const matches = (o: unknown): boolean => isRecord(o) && jsonEqual(ownValue(o, key), id);
    const directive = ownValue(el, PATCH);
    if (directive === 'delete') {
      out = out.filter((o) => !matches(o));
      return;
    }
    const at = out.findIndex(matches);
    const current = at >= 0 ? out[at] : undefined;
    const merged = mergeMap(isRecord(current) ? current : {}, el, schema, `${path}[${key}=${JSON.stringify(id)}]`);
    if (merged === DELETED) return;
    if (at >= 0) out[at] = merged;
    else out.push(merged);
  });
  return out;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badRequest(`${field}: must be a list of strings`);
  }
  return value;
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown, path: string): void {
  if (!Array.isArray(values)) throw badRequest(`${path}: must be a list`);
  const list = ownValue(original, field);
  if (list === undefined) return;
  if (!Array.isArray(list)) throw unprocessable(`${path}: "${field}" is not a list`, path);
  setOwn(original, field, list.filter((v) => !values.some((d) => jsonEqual(d, v))));
}

/**
 * Reorders `list` by the hint: the slots holding elements the hint names are refilled in the
 * hint's order; elements the hint does not name keep their positions.
 */
function applyElementOrder(list: unknown[], hint: unknown, key: string | undefined, path: string): unknown[] {
  if (!Array.isArray(hint)) throw badRequest(`${path}: must be a list`);
  const identity = (el: unknown): unknown => (key === undefined ? el : isRecord(el) ? ownValue(el, key) : undefined);
  const order = hint.map(identity);
  const rank = (el: unknown): number => {
    const id = identity(el);
    return id === undefined ? -1 : order.findIndex((o) => jsonEqual(o, id));
  };
  const slots = list.map((el, i) => ({ i, r: rank(el) })).filter((s) => s.r >= 0);
  const sorted = [...slots].sort((a, b) => a.r - b.r || a.i - b.i);
  const out = [...list];
  slots.forEach((slot, n) => { out[slot.i] = list[sorted[n].i]; });
  return out;
}
