// One `VirtualService.spec.http[i]` → VsHttpRoute (pure): matches (uri, headers, withoutHeaders,
// queryParams, method, port; match-level gateways without "mesh" drop the match), weighted
// destinations with header operations, redirect, directResponse, rewrite, timeout, retries (Istio's
// default when absent, none when attempts is 0), fault delay/abort, mirror(s). Fields ambit's
// waypoint cannot honour are problems (the object is rejected), never silently dropped.

import type { Fault, Redirect, RetryPolicy, RouteMatch, ValueMatch } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, fieldPath, type FieldReport, isObject, type JsonObject, own, readList, readObject, show,
} from '../policy/field-report';
import {
  readDestination, readGrpcStatus, readHeaders, readPercentage, readRetryOn, readStringMatch,
} from './istio-forms';
import { readDuration, readHostname, readInt, readPathValue, readPort, readText } from './route-forms';
import { DEFAULT_RETRY, type VsDestination, type VsHttpRoute, type VsMatch, type VsWeighted } from './types';

const HTTP_FIELDS = ['name', 'match', 'route', 'redirect', 'directResponse', 'delegate', 'rewrite', 'timeout', 'retries', 'fault',
  'mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent', 'mirror_percent', 'corsPolicy', 'headers'];
const MATCH_FIELDS = ['name', 'uri', 'scheme', 'method', 'authority', 'headers', 'port', 'sourceLabels', 'gateways', 'queryParams',
  'ignoreUriCase', 'withoutHeaders', 'sourceNamespace', 'statPrefix'];
const UNSUPPORTED_MATCH = ['scheme', 'authority', 'sourceLabels', 'sourceNamespace'];
const MAX_MATCHES = 64;
const MAX_DESTINATIONS = 64;
const MAX_NAMED = 64;

function readNamedMatches(value: unknown, path: string, report: FieldReport, header: boolean, invert: boolean): ValueMatch[] {
  const obj = readObject(value, path, report);
  if (!obj) return [];
  const keys = Object.keys(obj);
  if (keys.length > MAX_NAMED) {
    report.problem(path, `${keys.length} entries (at most ${MAX_NAMED})`);
    return [];
  }
  const out: ValueMatch[] = [];
  for (const key of keys) {
    const p = fieldPath(path, key);
    const name = header ? key.toLowerCase() : key;
    if (header && !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      report.problem(p, `${show(key)} is not an HTTP header name`);
      continue;
    }
    const m = readStringMatch(own(obj, key), p, report, header ? 'header' : 'text');
    if (!m) continue;
    if (!header && m.kind === 'prefix') {
      report.problem(p, 'query parameters match exact or regex only');
      continue;
    }
    out.push({ name, kind: m.kind, value: m.value, invert });
  }
  return out;
}

/** undefined: the match does not apply to mesh traffic (its gateways exclude "mesh"). */
function readMatch(item: unknown, path: string, report: FieldReport): VsMatch | 'skip' | undefined {
  const obj = readObject(item, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, MATCH_FIELDS, path, report);
  for (const key of UNSUPPORTED_MATCH) {
    if (own(obj, key) !== undefined) report.problem(`${path}.${key}`, `matching on ${key} is not supported by ambit's waypoint`);
  }
  if (own(obj, 'ignoreUriCase') === true) report.problem(`${path}.ignoreUriCase`, 'case-insensitive URI matching is not supported by ambit\'s waypoint');
  const gateways = readList(own(obj, 'gateways'), `${path}.gateways`, report, 64);
  const skip = gateways !== undefined && gateways.length > 0 && !gateways.includes('mesh');
  let pathMatch: RouteMatch['path'];
  const uri = own(obj, 'uri') === undefined ? undefined : readStringMatch(own(obj, 'uri'), `${path}.uri`, report);
  if (uri) {
    if (uri.kind === 'present') pathMatch = { kind: 'prefix', value: '/' };
    else if (uri.kind === 'regex') pathMatch = { kind: 'regex', value: uri.value };
    else {
      const v = readPathValue(uri.value, `${path}.uri.${uri.kind}`, report);
      if (v !== undefined) pathMatch = { kind: uri.kind, value: v };
    }
  }
  let method: string | undefined;
  const m = own(obj, 'method') === undefined ? undefined : readStringMatch(own(obj, 'method'), `${path}.method`, report);
  if (m && m.kind !== 'exact') report.problem(`${path}.method`, 'methods match exactly only');
  else if (m) {
    if (!/^[A-Za-z]+$/.test(m.value)) report.problem(`${path}.method.exact`, `${show(m.value)} is not an HTTP method`);
    else method = m.value.toUpperCase();
  }
  const headers = [
    ...readNamedMatches(own(obj, 'headers'), `${path}.headers`, report, true, false),
    ...readNamedMatches(own(obj, 'withoutHeaders'), `${path}.withoutHeaders`, report, true, true),
  ];
  if (headers.length > MAX_NAMED) report.problem(`${path}.headers`, `${headers.length} header matches with withoutHeaders (at most ${MAX_NAMED})`);
  const queryParams = readNamedMatches(own(obj, 'queryParams'), `${path}.queryParams`, report, false, false);
  const port = readPort(own(obj, 'port'), `${path}.port`, report);
  if (skip) return 'skip';
  return {
    match: { ...(pathMatch ? { path: pathMatch } : {}), headers, queryParams, ...(method !== undefined ? { method } : {}) },
    ...(port !== undefined ? { port } : {}),
  };
}

function readRedirect(value: unknown, path: string, report: FieldReport): Redirect | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['uri', 'authority', 'port', 'derivePort', 'scheme', 'redirectCode'], path, report);
  const uri = own(obj, 'uri') === undefined ? undefined : readPathValue(own(obj, 'uri'), `${path}.uri`, report);
  const authority = readText(own(obj, 'authority'), `${path}.authority`, report, { max: 260 });
  let hostname: string | undefined;
  let authorityPort: number | undefined;
  if (authority !== undefined) {
    const [host, portText] = authority.split(':');
    hostname = readHostname(host, `${path}.authority`, report);
    if (portText !== undefined) authorityPort = readPort(Number(portText), `${path}.authority`, report);
  }
  const port = readPort(own(obj, 'port'), `${path}.port`, report) ?? authorityPort;
  if (own(obj, 'derivePort') !== undefined) report.warn(`${path}.derivePort`, 'ignored by ambit\'s waypoint');
  const scheme = readText(own(obj, 'scheme'), `${path}.scheme`, report, { max: 16 });
  if (scheme !== undefined && !/^[a-z][a-z0-9+.-]*$/.test(scheme)) report.problem(`${path}.scheme`, `${show(scheme)} is not a URL scheme`);
  const code = readInt(own(obj, 'redirectCode'), `${path}.redirectCode`, report, 100, 599) ?? 301;
  if (![301, 302, 303, 307, 308].includes(code)) report.problem(`${path}.redirectCode`, `${code} is not 301, 302, 303, 307 or 308`);
  return {
    statusCode: code, ...(scheme !== undefined ? { scheme } : {}), ...(hostname !== undefined ? { hostname } : {}),
    ...(uri !== undefined ? { path: { kind: 'full' as const, value: uri } } : {}), ...(port !== undefined ? { port } : {}),
  };
}

function readDirectResponse(value: unknown, path: string, report: FieldReport): VsHttpRoute['directResponse'] {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['status', 'body'], path, report);
  const status = readInt(own(obj, 'status'), `${path}.status`, report, 200, 599);
  if (status === undefined && own(obj, 'status') === undefined) report.problem(`${path}.status`, 'is required');
  let body = '';
  const b = readObject(own(obj, 'body'), `${path}.body`, report);
  if (b) {
    checkKnownFields(b, ['string', 'bytes'], `${path}.body`, report);
    const text = readText(own(b, 'string'), `${path}.body.string`, report, { max: 8192, allowEmpty: true, allowControl: true });
    const bytes = readText(own(b, 'bytes'), `${path}.body.bytes`, report, { max: 11_000 });
    if (text !== undefined && bytes !== undefined) report.problem(`${path}.body`, 'only one of string and bytes may be set');
    body = text ?? (bytes !== undefined ? Buffer.from(bytes, 'base64').toString('utf8') : '');
    if (Buffer.byteLength(body) > 8192) report.problem(`${path}.body`, `${Buffer.byteLength(body)} bytes (at most 8192)`);
  }
  return status === undefined ? undefined : { status, body };
}

function readRetries(value: unknown, path: string, report: FieldReport): RetryPolicy {
  const obj = readObject(value, path, report);
  if (!obj) return DEFAULT_RETRY;
  checkKnownFields(obj, ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities', 'retryIgnorePreviousHosts', 'backoff'], path, report);
  const attempts = readInt(own(obj, 'attempts'), `${path}.attempts`, report, 0, 100) ?? 0;
  const perTry = readDuration(own(obj, 'perTryTimeout'), `${path}.perTryTimeout`, report, { allowZero: false });
  const retryOn = readRetryOn(own(obj, 'retryOn'), `${path}.retryOn`, report);
  const backoff = readDuration(own(obj, 'backoff'), `${path}.backoff`, report);
  if (own(obj, 'retryIgnorePreviousHosts') !== undefined) report.warn(`${path}.retryIgnorePreviousHosts`, 'ignored by ambit\'s waypoint');
  return {
    attempts, retryOn: retryOn && retryOn.length > 0 ? retryOn : DEFAULT_RETRY.retryOn, backoffBaseMs: backoff ?? DEFAULT_RETRY.backoffBaseMs,
    ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
  };
}

function readFault(value: unknown, path: string, report: FieldReport): Fault | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['delay', 'abort'], path, report);
  let delay: Fault['delay'];
  let abort: Fault['abort'];
  const d = readObject(own(obj, 'delay'), `${path}.delay`, report);
  if (d) {
    const p = `${path}.delay`;
    checkKnownFields(d, ['fixedDelay', 'exponentialDelay', 'percentage', 'percent'], p, report);
    if (own(d, 'exponentialDelay') !== undefined) report.problem(`${p}.exponentialDelay`, 'is not supported (use fixedDelay)');
    const ms = readDuration(own(d, 'fixedDelay'), `${p}.fixedDelay`, report, { allowZero: false });
    if (ms === undefined && own(d, 'fixedDelay') === undefined) report.problem(`${p}.fixedDelay`, 'is required');
    const percent = readPercentage(d, p, report, 'percentage', 'percent');
    if (ms !== undefined) delay = { delayMs: ms, percent };
  }
  const a = readObject(own(obj, 'abort'), `${path}.abort`, report);
  if (a) {
    const p = `${path}.abort`;
    checkKnownFields(a, ['httpStatus', 'grpcStatus', 'http2Error', 'percentage'], p, report);
    if (own(a, 'http2Error') !== undefined) report.problem(`${p}.http2Error`, 'is not supported (use httpStatus or grpcStatus)');
    const httpStatus = readInt(own(a, 'httpStatus'), `${p}.httpStatus`, report, 200, 599);
    const grpcStatus = own(a, 'grpcStatus') === undefined ? undefined : readGrpcStatus(own(a, 'grpcStatus'), `${p}.grpcStatus`, report);
    const percent = readPercentage(a, p, report);
    if (httpStatus !== undefined && grpcStatus !== undefined) report.problem(p, 'only one of httpStatus and grpcStatus may be set');
    else if (httpStatus === undefined && grpcStatus === undefined && own(a, 'httpStatus') === undefined && own(a, 'grpcStatus') === undefined) {
      report.problem(p, 'one of httpStatus and grpcStatus is required');
    }
    if (httpStatus !== undefined) abort = { httpStatus, percent };
    else if (grpcStatus !== undefined) abort = { grpcStatus, percent };
  }
  if (!delay && !abort) {
    if (!d && !a) report.problem(path, 'needs a delay or an abort');
    return undefined;
  }
  return { ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}

function readMirrors(obj: JsonObject, path: string, report: FieldReport): { destination: VsDestination; percent: number }[] {
  const out: { destination: VsDestination; percent: number }[] = [];
  if (own(obj, 'mirror') !== undefined) {
    const destination = readDestination(own(obj, 'mirror'), `${path}.mirror`, report);
    const percent = readPercentage(obj, path, report, 'mirrorPercentage', 'mirrorPercent');
    if (destination) out.push({ destination, percent });
  }
  (readList(own(obj, 'mirrors'), `${path}.mirrors`, report, 16) ?? []).forEach((item, i) => {
    const p = `${path}.mirrors[${i}]`;
    const m = readObject(item, p, report);
    if (!m) return;
    checkKnownFields(m, ['destination', 'percentage'], p, report);
    const destination = readDestination(own(m, 'destination'), `${p}.destination`, report);
    const percent = readPercentage(m, p, report);
    if (destination) out.push({ destination, percent });
  });
  if (own(obj, 'mirror') !== undefined && own(obj, 'mirrors') !== undefined) report.problem(`${path}.mirrors`, 'mirror and mirrors cannot both be set');
  return out;
}

function readRouteDestinations(value: unknown, path: string, report: FieldReport): VsWeighted[] {
  const list = readList(value, path, report, MAX_DESTINATIONS) ?? [];
  const anyWeight = list.some((item) => isObject(item) && own(item, 'weight') !== undefined && own(item, 'weight') !== null);
  const out: VsWeighted[] = [];
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const obj = readObject(item, p, report);
    if (!obj) return;
    checkKnownFields(obj, ['destination', 'weight', 'headers'], p, report);
    const destination = readDestination(own(obj, 'destination'), `${p}.destination`, report);
    const weight = readInt(own(obj, 'weight'), `${p}.weight`, report, 0, 1_000_000) ?? (anyWeight && list.length > 1 ? 0 : 1);
    const headers = readHeaders(own(obj, 'headers'), `${p}.headers`, report);
    if (destination) {
      out.push({
        destination, weight, ...(headers.request ? { requestHeaders: headers.request } : {}),
        ...(headers.response ? { responseHeaders: headers.response } : {}),
      });
    }
  });
  if (list.length === 0) report.problem(path, 'needs at least one destination');
  else if (out.length > 0 && out.every((d) => d.weight === 0)) report.problem(path, 'the weights add up to 0');
  return out;
}

/** undefined: the entry is rejected (problems reported) or applies to no mesh traffic. */
export function readVsHttpRoute(item: unknown, index: number, report: FieldReport): VsHttpRoute | undefined {
  const path = `spec.http[${index}]`;
  const obj = readObject(item, path, report);
  if (!obj) {
    if (item === null || item === undefined) report.problem(path, 'must not be null');
    return undefined;
  }
  checkKnownFields(obj, HTTP_FIELDS, path, report);
  if (own(obj, 'delegate') !== undefined) report.problem(`${path}.delegate`, 'delegate VirtualServices are not supported by ambit');
  if (own(obj, 'corsPolicy') !== undefined) report.problem(`${path}.corsPolicy`, 'CORS is not supported by ambit\'s waypoint');
  const name = readText(own(obj, 'name'), `${path}.name`, report, { max: 253 });
  const rawMatches = readList(own(obj, 'match'), `${path}.match`, report, MAX_MATCHES) ?? [];
  const matches: VsMatch[] = [];
  let skipped = 0;
  rawMatches.forEach((m, i) => {
    const r = readMatch(m, `${path}.match[${i}]`, report);
    if (r === 'skip') skipped++;
    else if (r) matches.push(r);
  });
  const actions = ['route', 'redirect', 'directResponse'].filter((k) => own(obj, k) !== undefined && own(obj, k) !== null);
  if (actions.length !== 1 && own(obj, 'delegate') === undefined) {
    report.problem(path, actions.length === 0 ? 'needs one of route, redirect and directResponse' : `only one of route, redirect and directResponse may be set (found ${actions.join(', ')})`);
  }
  const destinations = own(obj, 'route') === undefined ? [] : readRouteDestinations(own(obj, 'route'), `${path}.route`, report);
  const redirect = own(obj, 'redirect') === undefined ? undefined : readRedirect(own(obj, 'redirect'), `${path}.redirect`, report);
  const directResponse = own(obj, 'directResponse') === undefined ? undefined : readDirectResponse(own(obj, 'directResponse'), `${path}.directResponse`, report);
  const headers = readHeaders(own(obj, 'headers'), `${path}.headers`, report);
  const rewrite = readObject(own(obj, 'rewrite'), `${path}.rewrite`, report);
  let rewriteUri: string | undefined;
  let rewriteAuthority: string | undefined;
  if (rewrite) {
    checkKnownFields(rewrite, ['uri', 'authority', 'uriRegexRewrite'], `${path}.rewrite`, report);
    if (own(rewrite, 'uriRegexRewrite') !== undefined) report.problem(`${path}.rewrite.uriRegexRewrite`, 'is not supported by ambit\'s waypoint');
    rewriteUri = own(rewrite, 'uri') === undefined ? undefined : readPathValue(own(rewrite, 'uri'), `${path}.rewrite.uri`, report);
    rewriteAuthority = readText(own(rewrite, 'authority'), `${path}.rewrite.authority`, report, { max: 259 });
    if (rewriteAuthority !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(rewriteAuthority)) {
      report.problem(`${path}.rewrite.authority`, `${show(rewriteAuthority)} is not a host[:port]`);
    }
    if (rewriteUri !== undefined && matches.some((m) => m.match.path?.kind === 'regex')) {
      report.problem(`${path}.rewrite.uri`, 'cannot rewrite the URI of a regex match (use an exact or prefix match)');
    }
  }
  const timeoutMs = readDuration(own(obj, 'timeout'), `${path}.timeout`, report);
  const retry = own(obj, 'retries') === undefined ? DEFAULT_RETRY : readRetries(own(obj, 'retries'), `${path}.retries`, report);
  const fault = own(obj, 'fault') === undefined ? undefined : readFault(own(obj, 'fault'), `${path}.fault`, report);
  const mirrors = readMirrors(obj, path, report);
  if (rawMatches.length > 0 && matches.length === 0 && skipped > 0) return undefined;
  return {
    index, matches, destinations, mirrors, retry,
    ...(name !== undefined ? { name } : {}),
    ...(headers.request ? { requestHeaders: headers.request } : {}),
    ...(headers.response ? { responseHeaders: headers.response } : {}),
    ...(redirect ? { redirect } : {}), ...(directResponse ? { directResponse } : {}),
    ...(rewriteUri !== undefined ? { rewriteUri } : {}), ...(rewriteAuthority !== undefined ? { rewriteAuthority } : {}),
    ...(timeoutMs ? { timeoutMs } : {}), ...(fault ? { fault } : {}),
  };
}
