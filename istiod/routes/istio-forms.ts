// Istio networking forms shared by VirtualService and DestinationRule readers (pure): StringMatch
// (exact / prefix / regex, `{}` = presence), header operations (set / add as maps, remove as a
// list), destinations ({host, subset, port.number}), Percent ({value}), retry conditions (Envoy's
// names; the ones ambit's waypoint does not implement are dropped with a warning) and gRPC status
// names for fault aborts.

import type { HeaderMutation, ValueMatchKind } from '../../pkg/api/waypoint-types';
import { RETRY_CONDITIONS } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, fieldPath, type FieldReport, type JsonObject, own, readList, readObject, show,
} from '../policy/field-report';
import { DNS_LABEL } from '../policy/string-forms';
import { readHeaderName, readHeaderValue, readInt, readPercent, readPort, readRegex, readText, requireText } from './route-forms';
import type { VsDestination } from './types';

const MAX_HEADER_OPS = 64;

export interface StringMatchValue {
  readonly kind: ValueMatchKind;
  readonly value: string;
}

/** A StringMatch: exactly one of exact / prefix / regex; `{}` (or an empty prefix) means presence. */
export function readStringMatch(value: unknown, path: string, report: FieldReport, valueRules: 'header' | 'text' = 'text'): StringMatchValue | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['exact', 'prefix', 'regex'], path, report);
  const set = ['exact', 'prefix', 'regex'].filter((k) => own(obj, k) !== undefined && own(obj, k) !== null);
  if (set.length === 0) return { kind: 'present', value: '' };
  if (set.length > 1) {
    report.problem(path, `only one of exact, prefix and regex may be set (found ${set.join(', ')})`);
    return undefined;
  }
  const key = set[0] as 'exact' | 'prefix' | 'regex';
  const p = `${path}.${key}`;
  if (key === 'regex') {
    const v = readRegex(own(obj, key), p, report);
    return v === undefined ? undefined : { kind: 'regex', value: v };
  }
  const v = valueRules === 'header'
    ? readHeaderValue(own(obj, key), p, report, true)
    : readText(own(obj, key), p, report, { max: 4096, allowEmpty: true });
  if (v === undefined) return undefined;
  if (key === 'prefix' && v === '') return { kind: 'present', value: '' };
  return { kind: key, value: v };
}

/** {set: {name: value}, add: {name: value}, remove: [name]}. */
export function readHeaderOperations(value: unknown, path: string, report: FieldReport): HeaderMutation | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['set', 'add', 'remove'], path, report);
  const pairs = (key: 'set' | 'add'): { name: string; value: string }[] => {
    const map = readObject(own(obj, key), `${path}.${key}`, report);
    if (!map) return [];
    const entries = Object.keys(map);
    if (entries.length > MAX_HEADER_OPS) {
      report.problem(`${path}.${key}`, `${entries.length} entries (at most ${MAX_HEADER_OPS})`);
      return [];
    }
    const out: { name: string; value: string }[] = [];
    for (const raw of entries) {
      const p = fieldPath(`${path}.${key}`, raw);
      const name = readHeaderName(raw, p, report);
      const v = readHeaderValue(own(map, raw), p, report, true);
      if (name !== undefined && v !== undefined) out.push({ name, value: v });
    }
    return out;
  };
  const set = pairs('set');
  const add = pairs('add');
  const remove: string[] = [];
  (readList(own(obj, 'remove'), `${path}.remove`, report, MAX_HEADER_OPS) ?? []).forEach((item, i) => {
    const name = readHeaderName(item, `${path}.remove[${i}]`, report);
    if (name !== undefined) remove.push(name);
  });
  return { set, add, remove };
}

/** `headers: {request: ..., response: ...}`. */
export function readHeaders(value: unknown, path: string, report: FieldReport): { request?: HeaderMutation; response?: HeaderMutation } {
  const obj = readObject(value, path, report);
  if (!obj) return {};
  checkKnownFields(obj, ['request', 'response'], path, report);
  const request = readHeaderOperations(own(obj, 'request'), `${path}.request`, report);
  const response = readHeaderOperations(own(obj, 'response'), `${path}.response`, report);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

const HOST = /^(\*|(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/;

/** A host name as VirtualService and DestinationRule write it (short, qualified or wildcard). */
export function readHost(value: unknown, path: string, report: FieldReport): string | undefined {
  const host = requireText(value, path, report, { max: 253 });
  if (host !== undefined && !HOST.test(host)) {
    report.problem(path, `${show(host)} is not a host name`);
    return undefined;
  }
  return host?.toLowerCase();
}

/** `{host, subset, port: {number}}`. */
export function readDestination(value: unknown, path: string, report: FieldReport): VsDestination | undefined {
  const obj = readObject(value, path, report);
  if (!obj) {
    if (value === undefined || value === null) report.problem(path, 'is required');
    return undefined;
  }
  checkKnownFields(obj, ['host', 'subset', 'port'], path, report);
  const host = readHost(own(obj, 'host'), `${path}.host`, report);
  const subset = readText(own(obj, 'subset'), `${path}.subset`, report, { max: 63 });
  if (subset !== undefined && !DNS_LABEL.test(subset)) report.problem(`${path}.subset`, `${show(subset)} is not a subset name (a DNS label)`);
  let port: number | undefined;
  const portObj = readObject(own(obj, 'port'), `${path}.port`, report);
  if (portObj) {
    checkKnownFields(portObj, ['number'], `${path}.port`, report);
    port = readPort(own(portObj, 'number'), `${path}.port.number`, report);
  }
  if (host === undefined) return undefined;
  return { field: path, host, ...(subset !== undefined ? { subset } : {}), ...(port !== undefined ? { port } : {}) };
}

/** `percentage: {value}` (0–100), falling back to a deprecated integer `percent` field; default 100. */
export function readPercentage(obj: JsonObject, path: string, report: FieldReport, key = 'percentage', legacy?: string): number {
  const p = readObject(own(obj, key), `${path}.${key}`, report);
  if (p) {
    checkKnownFields(p, ['value'], `${path}.${key}`, report);
    return readPercent(own(p, 'value'), `${path}.${key}.value`, report) ?? 0;
  }
  if (legacy !== undefined) {
    const v = readInt(own(obj, legacy), `${path}.${legacy}`, report, 0, 100);
    if (v !== undefined) return v;
  }
  return 100;
}

const UNSUPPORTED_RETRY_ON = ['reset-before-request', 'envoy-ratelimited', 'retriable-headers', 'http3-post-connect-failure'];
const RETRY_ON: ReadonlySet<string> = new Set(RETRY_CONDITIONS);

/** `retryOn: "5xx,connect-failure,503"` → conditions the waypoint knows. */
export function readRetryOn(value: unknown, path: string, report: FieldReport): string[] | undefined {
  const text = readText(value, path, report, { max: 1024 });
  if (text === undefined) return undefined;
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    if (RETRY_ON.has(item) || /^[1-5][0-9][0-9]$/.test(item)) {
      if (!out.includes(item)) out.push(item);
    } else if (item === 'retriable-status-codes') {
      // Implied: the status codes listed beside it are what is retried.
    } else if (UNSUPPORTED_RETRY_ON.includes(item)) {
      report.warn(path, `${show(item)} is not supported by ambit's waypoint and is ignored`);
    } else {
      report.problem(path, `${show(item)} is not a retry condition (${RETRY_CONDITIONS.join(', ')}, or a status code)`);
    }
  }
  return out;
}

export const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12,
  INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** A gRPC status by name ("UNAVAILABLE") or number ("14"). */
export function readGrpcStatus(value: unknown, path: string, report: FieldReport): number | undefined {
  const text = readText(value, path, report, { max: 32 });
  if (text === undefined) return undefined;
  if (/^[0-9]{1,2}$/.test(text) && Number(text) <= 16) return Number(text);
  const code = Object.hasOwn(GRPC_STATUS, text.toUpperCase()) ? GRPC_STATUS[text.toUpperCase()] : undefined;
  if (code === undefined) report.problem(path, `${show(text)} is not a gRPC status (${Object.keys(GRPC_STATUS).join(', ')})`);
  return code;
}
