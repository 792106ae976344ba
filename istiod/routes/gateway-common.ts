// What HTTPRoute and GRPCRoute share, read strictly (pure): parentRefs (only Service parents —
// GAMMA — are ours; Gateway parents belong to other controllers and are skipped), a backendRef
// (kind, namespace, port), the HTTPHeaderFilter form, timeouts and retry. Rule and backendRef
// filters are in gateway-filters.ts. Problems carry field paths.

import type { HeaderMutation, RetryPolicy } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, type FieldReport, type JsonObject, own, readList, readObject, show,
} from '../policy/field-report';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../policy/string-forms';
import {
  readDuration, readHeaderName, readHeaderValue, readInt, readPort, readText, requireText,
} from './route-forms';
import { type BackendRefSpec, DEFAULT_RETRY, type ParentRefSpec } from './types';

export const MAX_PARENT_REFS = 32;
export const MAX_BACKEND_REFS = 16;
export const MAX_FILTERS = 16;
const MAX_HEADER_ACTIONS = 16;
const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Istio's retry conditions for Gateway API routes; `codes` are added as status codes. */
const GATEWAY_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'];

const isCoreGroup = (group: string): boolean => group === '' || group === 'core';

/** `Service` in the core group: the GAMMA parent and the only backend kind ambit resolves. */
export function isServiceRef(group: string, kind: string): boolean {
  return isCoreGroup(group) && kind === 'Service';
}

function readObjectName(value: unknown, path: string, report: FieldReport): string | undefined {
  const name = requireText(value, path, report, { max: 253 });
  if (name !== undefined && !DNS_SUBDOMAIN.test(name)) {
    report.problem(path, `${show(name)} is not a valid object name`);
    return undefined;
  }
  return name;
}

function readNamespace(value: unknown, path: string, report: FieldReport): string | undefined {
  const ns = readText(value, path, report, { max: 63 });
  if (ns !== undefined && !DNS_LABEL.test(ns)) {
    report.problem(path, `${show(ns)} is not a namespace name`);
    return undefined;
  }
  return ns;
}

/** spec.parentRefs: the Service parents (others are counted, not read further). */
export function readParentRefs(spec: JsonObject, routeNamespace: string, report: FieldReport): ParentRefSpec[] {
  const list = readList(own(spec, 'parentRefs'), 'spec.parentRefs', report, MAX_PARENT_REFS) ?? [];
  const out: ParentRefSpec[] = [];
  list.forEach((item, index) => {
    const path = `spec.parentRefs[${index}]`;
    const ref = readObject(item, path, report);
    if (!ref) {
      if (item === null || item === undefined) report.problem(path, 'must not be null');
      return;
    }
    checkKnownFields(ref, ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'], path, report);
    const group = readText(own(ref, 'group'), `${path}.group`, report, { allowEmpty: true, max: 253 }) ?? GATEWAY_GROUP;
    const kind = readText(own(ref, 'kind'), `${path}.kind`, report, { max: 63 }) ?? 'Gateway';
    if (!isServiceRef(group, kind)) return;
    const name = readObjectName(own(ref, 'name'), `${path}.name`, report);
    const namespace = readNamespace(own(ref, 'namespace'), `${path}.namespace`, report);
    const sectionName = readText(own(ref, 'sectionName'), `${path}.sectionName`, report, { max: 253 });
    const port = readPort(own(ref, 'port'), `${path}.port`, report);
    if (name === undefined) return;
    const written: Record<string, string | number> = { group, kind, name };
    if (namespace !== undefined) written.namespace = namespace;
    if (sectionName !== undefined) written.sectionName = sectionName;
    if (port !== undefined) written.port = port;
    out.push({
      index, name, namespace: namespace ?? routeNamespace, written,
      ...(port !== undefined ? { port } : {}), ...(sectionName !== undefined ? { sectionName } : {}),
    });
  });
  return out;
}

/** An HTTPHeaderFilter (set / add / remove), names lower-cased; one action per header name. */
export function readHeaderFilter(value: unknown, path: string, report: FieldReport): HeaderMutation | undefined {
  const obj = readObject(value, path, report);
  if (!obj) {
    if (value === undefined || value === null) report.problem(path, 'is required for this filter type');
    return undefined;
  }
  checkKnownFields(obj, ['set', 'add', 'remove'], path, report);
  const seen = new Map<string, string>();
  const claim = (name: string, field: string): void => {
    const first = seen.get(name);
    if (first !== undefined) report.problem(field, `header ${show(name)} already has an action (${first}); only one action per header name`);
    else seen.set(name, field);
  };
  const pairs = (key: 'set' | 'add'): { name: string; value: string }[] => {
    const list = readList(own(obj, key), `${path}.${key}`, report, MAX_HEADER_ACTIONS) ?? [];
    const out: { name: string; value: string }[] = [];
    list.forEach((item, i) => {
      const p = `${path}.${key}[${i}]`;
      const h = readObject(item, p, report);
      if (!h) return;
      checkKnownFields(h, ['name', 'value'], p, report);
      const name = readHeaderName(own(h, 'name'), `${p}.name`, report);
      const v = readHeaderValue(own(h, 'value'), `${p}.value`, report);
      if (name === undefined || v === undefined) return;
      claim(name, p);
      out.push({ name, value: v });
    });
    return out;
  };
  const set = pairs('set');
  const add = pairs('add');
  const remove: string[] = [];
  (readList(own(obj, 'remove'), `${path}.remove`, report, MAX_HEADER_ACTIONS) ?? []).forEach((item, i) => {
    const name = readHeaderName(item, `${path}.remove[${i}]`, report);
    if (name === undefined) return;
    claim(name, `${path}.remove[${i}]`);
    remove.push(name);
  });
  return { set, add, remove };
}

/** A backendRef (or a mirror's backendRef): defaults kind Service, group core, the route's namespace. */
export function readBackendRef(obj: JsonObject, path: string, routeNamespace: string, report: FieldReport,
  extraFields: readonly string[]): Omit<BackendRefSpec, 'weight'> | undefined {
  checkKnownFields(obj, ['group', 'kind', 'name', 'namespace', 'port', ...extraFields], path, report);
  const group = readText(own(obj, 'group'), `${path}.group`, report, { allowEmpty: true, max: 253 }) ?? '';
  const kind = readText(own(obj, 'kind'), `${path}.kind`, report, { max: 63 }) ?? 'Service';
  const name = readObjectName(own(obj, 'name'), `${path}.name`, report);
  const namespace = readNamespace(own(obj, 'namespace'), `${path}.namespace`, report) ?? routeNamespace;
  const port = readPort(own(obj, 'port'), `${path}.port`, report);
  if (isServiceRef(group, kind) && port === undefined && own(obj, 'port') === undefined) {
    report.problem(`${path}.port`, 'is required when the backend is a Service');
  }
  if (name === undefined) return undefined;
  return { field: path, group, kind, name, namespace, ...(port !== undefined ? { port } : {}) };
}

export interface RuleTiming {
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
}

/** spec.rules[i].timeouts and .retry (HTTPRoute): request → timeoutMs, backendRequest → per-try timeout. */
export function readTiming(rule: JsonObject, path: string, report: FieldReport): RuleTiming {
  const timeouts = readObject(own(rule, 'timeouts'), `${path}.timeouts`, report);
  let request: number | undefined;
  let backend: number | undefined;
  if (timeouts) {
    checkKnownFields(timeouts, ['request', 'backendRequest'], `${path}.timeouts`, report);
    request = readDuration(own(timeouts, 'request'), `${path}.timeouts.request`, report);
    backend = readDuration(own(timeouts, 'backendRequest'), `${path}.timeouts.backendRequest`, report);
    if (request && backend && backend > request) {
      report.problem(`${path}.timeouts.backendRequest`, 'must not be longer than timeouts.request');
    }
  }
  let retry: RetryPolicy = DEFAULT_RETRY;
  const r = readObject(own(rule, 'retry'), `${path}.retry`, report);
  if (r) {
    checkKnownFields(r, ['codes', 'attempts', 'backoff'], `${path}.retry`, report);
    const codes: string[] = [];
    (readList(own(r, 'codes'), `${path}.retry.codes`, report, 32) ?? []).forEach((c, i) => {
      const code = readInt(c, `${path}.retry.codes[${i}]`, report, 400, 599);
      if (code !== undefined && !codes.includes(String(code))) codes.push(String(code));
    });
    const attempts = readInt(own(r, 'attempts'), `${path}.retry.attempts`, report, 0, 100);
    const backoff = readDuration(own(r, 'backoff'), `${path}.retry.backoff`, report);
    retry = {
      attempts: attempts ?? DEFAULT_RETRY.attempts,
      retryOn: [...GATEWAY_RETRY_ON, ...(codes.length > 0 ? codes : ['503'])],
      backoffBaseMs: backoff ?? DEFAULT_RETRY.backoffBaseMs,
    };
  }
  if (backend) retry = { ...retry, perTryTimeoutMs: backend };
  return { ...(request ? { timeoutMs: request } : {}), retry };
}
