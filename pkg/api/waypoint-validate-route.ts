// Validation of one Route of the waypoint config (waypoint-types.ts): matches (paths, headers,
// query parameters, methods, safe regexes), header mutations, redirect, direct response, rewrite,
// mirrors and weighted backends (every name in `backends`), timeout, retry and fault. Problems are
// collected with their field paths; see waypoint-validate.ts. Pure: no I/O.

import { regexProblem } from './safe-regex';
import {
  PATH_MATCH_KINDS, RETRY_CONDITIONS, VALUE_MATCH_KINDS,
  type Fault, type HeaderMutation, type PathModifier, type RetryPolicy, type Route, type RouteMatch, type ValueMatch,
} from './waypoint-types';
import {
  WAYPOINT_LIMITS, type Problems, duration, headerName, int, isObject, list, oneOf, percent, show, text, value,
} from './waypoint-checks';

const HOST = /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const HOST_PORT = /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/;
const UPPER_TOKEN = /^[A-Z0-9!#$%&'*+.^_`|~-]+$/;
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const STATUS_TEXT = /^[1-5][0-9][0-9]$/;
const REDIRECT_STATUS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const RETRY_CONDITION_SET: ReadonlySet<string> = new Set(RETRY_CONDITIONS);

function pathValue(p: Problems, v: string, field: string): void {
  if (!value(p, v, field)) return;
  if (!v.startsWith('/')) p.add(field, `${show(v)} does not start with "/"`);
  else if (/[\s?#]/.test(v)) p.add(field, `${show(v)} contains whitespace, "?" or "#"`);
}

function pathModifier(p: Problems, m: PathModifier, field: string): void {
  if (!isObject(m)) return void p.add(field, 'not an object');
  oneOf(p, m.kind, `${field}.kind`, ['full', 'prefix']);
  pathValue(p, m.value, `${field}.value`);
}

function valueMatch(p: Problems, m: ValueMatch, field: string, header: boolean): void {
  if (!isObject(m)) return void p.add(field, 'not an object');
  if (header) headerName(p, m.name, `${field}.name`);
  else text(p, m.name, `${field}.name`, { required: true });
  if (oneOf(p, m.kind, `${field}.kind`, VALUE_MATCH_KINDS)) {
    if (m.kind === 'regex') {
      const problem = regexProblem(m.value);
      if (problem) p.add(`${field}.value`, problem);
    } else {
      value(p, m.value, `${field}.value`, header ? 'header' : 'none');
    }
  }
  if (typeof m.invert !== 'boolean') p.add(`${field}.invert`, 'not a boolean');
}

function routeMatch(p: Problems, m: RouteMatch, field: string): void {
  if (!isObject(m)) return void p.add(field, 'not an object');
  if (m.path !== undefined) {
    const f = `${field}.path`;
    if (!isObject(m.path)) p.add(f, 'not an object');
    else if (oneOf(p, m.path.kind, `${f}.kind`, PATH_MATCH_KINDS)) {
      if (m.path.kind !== 'regex') pathValue(p, m.path.value, `${f}.value`);
      else {
        const problem = regexProblem(m.path.value);
        if (problem) p.add(`${f}.value`, problem);
      }
    }
  }
  if (list(p, m.headers, `${field}.headers`, WAYPOINT_LIMITS.headersPerMatch)) {
    m.headers.forEach((h, i) => valueMatch(p, h, `${field}.headers[${i}]`, true));
  }
  if (list(p, m.queryParams, `${field}.queryParams`, WAYPOINT_LIMITS.queryParamsPerMatch)) {
    m.queryParams.forEach((q, i) => valueMatch(p, q, `${field}.queryParams[${i}]`, false));
  }
  if (m.method !== undefined) {
    text(p, m.method, `${field}.method`, { required: true, maxBytes: 64, pattern: UPPER_TOKEN, what: 'upper-case HTTP method' });
  }
}

function headerMutation(p: Problems, m: HeaderMutation | undefined, field: string): void {
  if (m === undefined) return;
  if (!isObject(m)) return void p.add(field, 'not an object');
  for (const key of ['set', 'add'] as const) {
    if (!list(p, m[key], `${field}.${key}`, WAYPOINT_LIMITS.headerMutations)) continue;
    m[key].forEach((h, i) => {
      const f = `${field}.${key}[${i}]`;
      if (!isObject(h)) return void p.add(f, 'not an object');
      headerName(p, h.name, `${f}.name`);
      value(p, h.value, `${f}.value`, 'header');
    });
  }
  if (list(p, m.remove, `${field}.remove`, WAYPOINT_LIMITS.headerMutations)) {
    m.remove.forEach((name, i) => headerName(p, name, `${field}.remove[${i}]`));
  }
}

function retry(p: Problems, r: RetryPolicy, field: string): void {
  if (!isObject(r)) return void p.add(field, 'not an object');
  int(p, r.attempts, `${field}.attempts`, 0, WAYPOINT_LIMITS.retryAttempts);
  if (r.perTryTimeoutMs !== undefined) duration(p, r.perTryTimeoutMs, `${field}.perTryTimeoutMs`, 1);
  if (list(p, r.retryOn, `${field}.retryOn`, WAYPOINT_LIMITS.retryOn)) {
    r.retryOn.forEach((c, i) => {
      if (typeof c !== 'string' || !(RETRY_CONDITION_SET.has(c) || STATUS_TEXT.test(c))) {
        p.add(`${field}.retryOn[${i}]`, `${show(String(c))} is not a retry condition (${RETRY_CONDITIONS.join(', ')}) or a status code`);
      }
    });
  }
  duration(p, r.backoffBaseMs, `${field}.backoffBaseMs`, 0);
}

function fault(p: Problems, f: Fault, field: string): void {
  if (!isObject(f)) return void p.add(field, 'not an object');
  if (f.delay !== undefined) {
    if (!isObject(f.delay)) p.add(`${field}.delay`, 'not an object');
    else {
      duration(p, f.delay.delayMs, `${field}.delay.delayMs`, 0);
      percent(p, f.delay.percent, `${field}.delay.percent`);
    }
  }
  if (f.abort !== undefined) {
    const a = f.abort;
    if (!isObject(a)) return void p.add(`${field}.abort`, 'not an object');
    const http = a.httpStatus !== undefined;
    const grpc = a.grpcStatus !== undefined;
    if (http && grpc) p.add(`${field}.abort`, 'both httpStatus and grpcStatus set (want exactly one)');
    else if (!http && !grpc) p.add(`${field}.abort`, 'neither httpStatus nor grpcStatus set (want exactly one)');
    if (http) int(p, a.httpStatus as number, `${field}.abort.httpStatus`, 200, 599);
    if (grpc) int(p, a.grpcStatus as number, `${field}.abort.grpcStatus`, 0, 16);
    percent(p, a.percent, `${field}.abort.percent`);
  }
}

/** Checks one route; `backends` are the names the config defines. */
export function route(p: Problems, r: Route, field: string, backends: ReadonlySet<string>): void {
  if (!isObject(r)) return void p.add(field, 'not an object');
  text(p, r.name, `${field}.name`);
  if (list(p, r.matches, `${field}.matches`, WAYPOINT_LIMITS.matchesPerRoute)) {
    r.matches.forEach((m, i) => routeMatch(p, m, `${field}.matches[${i}]`));
  }
  headerMutation(p, r.requestHeaders, `${field}.requestHeaders`);
  headerMutation(p, r.responseHeaders, `${field}.responseHeaders`);
  const ref = (name: string, f: string): void => {
    if (text(p, name, f, { required: true }) && !backends.has(name)) p.add(f, `unknown backend ${show(name)} (not in backends)`);
  };
  if (r.redirect !== undefined) {
    const d = r.redirect;
    const f = `${field}.redirect`;
    if (!isObject(d)) p.add(f, 'not an object');
    else {
      if (d.scheme !== undefined) text(p, d.scheme, `${f}.scheme`, { required: true, maxBytes: 32, pattern: SCHEME, what: 'lower-case URL scheme' });
      if (d.hostname !== undefined) text(p, d.hostname, `${f}.hostname`, { required: true, maxBytes: 253, pattern: HOST, what: 'hostname' });
      if (d.path !== undefined) pathModifier(p, d.path, `${f}.path`);
      if (d.port !== undefined) int(p, d.port, `${f}.port`, 1, 65535);
      if (!REDIRECT_STATUS.has(d.statusCode)) p.add(`${f}.statusCode`, `${String(d.statusCode)} (want 301, 302, 303, 307 or 308)`);
    }
  }
  if (r.directResponse !== undefined) {
    const d = r.directResponse;
    const f = `${field}.directResponse`;
    if (!isObject(d)) p.add(f, 'not an object');
    else {
      int(p, d.status, `${f}.status`, 200, 599);
      value(p, d.body, `${f}.body`, 'any');
    }
  }
  if (r.redirect !== undefined && r.directResponse !== undefined) p.add(field, 'both redirect and directResponse set');
  if (r.rewrite !== undefined) {
    const f = `${field}.rewrite`;
    if (!isObject(r.rewrite)) p.add(f, 'not an object');
    else {
      if (r.rewrite.hostname !== undefined) {
        text(p, r.rewrite.hostname, `${f}.hostname`, { required: true, maxBytes: 253 + 6, pattern: HOST_PORT, what: 'host[:port]' });
      }
      if (r.rewrite.path !== undefined) pathModifier(p, r.rewrite.path, `${f}.path`);
    }
  }
  if (list(p, r.mirrors, `${field}.mirrors`, WAYPOINT_LIMITS.mirrorsPerRoute)) {
    r.mirrors.forEach((m, i) => {
      const f = `${field}.mirrors[${i}]`;
      if (!isObject(m)) return void p.add(f, 'not an object');
      ref(m.backend, `${f}.backend`);
      percent(p, m.percent, `${f}.percent`);
    });
  }
  if (list(p, r.backends, `${field}.backends`, WAYPOINT_LIMITS.backendsPerRoute)) {
    let total = 0;
    r.backends.forEach((b, i) => {
      const f = `${field}.backends[${i}]`;
      if (!isObject(b)) return void p.add(f, 'not an object');
      ref(b.backend, `${f}.backend`);
      if (int(p, b.weight, `${f}.weight`, 0, WAYPOINT_LIMITS.weight)) total += b.weight;
      headerMutation(p, b.requestHeaders, `${f}.requestHeaders`);
      headerMutation(p, b.responseHeaders, `${f}.responseHeaders`);
    });
    if (r.redirect === undefined && r.directResponse === undefined) {
      if (r.backends.length === 0) p.add(`${field}.backends`, 'empty, and the route has no redirect or directResponse');
      else if (total === 0) p.add(`${field}.backends`, 'weights sum to 0, and the route has no redirect or directResponse');
    }
  }
  if (r.timeoutMs !== undefined) duration(p, r.timeoutMs, `${field}.timeoutMs`, 1);
  if (r.retry !== undefined) retry(p, r.retry, `${field}.retry`);
  if (r.fault !== undefined) fault(p, r.fault, `${field}.fault`);
}
