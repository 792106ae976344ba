// `gateway.networking.k8s.io/v1` HTTPRoute → GatewayRouteSpec (pure): matches on path (Exact,
// PathPrefix, RegularExpression; default PathPrefix "/"), headers and query parameters (Exact,
// RegularExpression; a repeated name keeps its first entry, as the spec says) and method; the rest
// of the rule is gateway-route.ts / gateway-common.ts.

import type { PathMatch, RouteMatch, ValueMatch } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, type FieldReport, own, readList, readObject, show,
} from '../policy/field-report';
import { convertGatewayRoute, type GatewayRouteConversion } from './gateway-route';
import { readHeaderName, readHeaderValue, readPathValue, readRegex, readText, requireText } from './route-forms';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const MAX_VALUE_MATCHES = 16;

function readPath(value: unknown, path: string, report: FieldReport): PathMatch | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['type', 'value'], path, report);
  const type = readText(own(obj, 'type'), `${path}.type`, report, { max: 63 }) ?? 'PathPrefix';
  const raw = own(obj, 'value') ?? '/';
  if (type === 'RegularExpression') {
    const v = readRegex(raw, `${path}.value`, report);
    return v === undefined ? undefined : { kind: 'regex', value: v };
  }
  if (type !== 'Exact' && type !== 'PathPrefix') {
    report.problem(`${path}.type`, `${show(type)} is not Exact, PathPrefix or RegularExpression`);
    return undefined;
  }
  const v = readPathValue(raw, `${path}.value`, report);
  if (v === undefined) return undefined;
  if (v.includes('//')) {
    report.problem(`${path}.value`, `${show(v)} must not contain "//"`);
    return undefined;
  }
  return { kind: type === 'Exact' ? 'exact' : 'prefix', value: v };
}

/** headers / queryParams: Exact (default) or RegularExpression; later entries with a seen name are ignored. */
export function readValueMatches(value: unknown, path: string, report: FieldReport, header: boolean): ValueMatch[] {
  const out: ValueMatch[] = [];
  const seen = new Set<string>();
  (readList(value, path, report, MAX_VALUE_MATCHES) ?? []).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const obj = readObject(item, p, report);
    if (!obj) return;
    checkKnownFields(obj, ['type', 'name', 'value'], p, report);
    const type = readText(own(obj, 'type'), `${p}.type`, report, { max: 63 }) ?? 'Exact';
    const name = header ? readHeaderName(own(obj, 'name'), `${p}.name`, report) : requireText(own(obj, 'name'), `${p}.name`, report, { max: 256 });
    let v: string | undefined;
    if (type === 'RegularExpression') v = readRegex(own(obj, 'value'), `${p}.value`, report);
    else if (type === 'Exact') {
      v = header ? readHeaderValue(own(obj, 'value'), `${p}.value`, report) : requireText(own(obj, 'value'), `${p}.value`, report, { max: 4096 });
    } else report.problem(`${p}.type`, `${show(type)} is not Exact or RegularExpression`);
    if (name === undefined || v === undefined || seen.has(name)) return;
    seen.add(name);
    out.push({ name, kind: type === 'Exact' ? 'exact' : 'regex', value: v, invert: false });
  });
  return out;
}

function readHttpMatches(matches: readonly unknown[], path: string, report: FieldReport): RouteMatch[] {
  const out: RouteMatch[] = [];
  matches.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const obj = readObject(item, p, report);
    if (!obj) {
      if (item === null || item === undefined) report.problem(p, 'must not be null');
      return;
    }
    checkKnownFields(obj, ['path', 'headers', 'queryParams', 'method'], p, report);
    const pathMatch = own(obj, 'path') === undefined ? { kind: 'prefix' as const, value: '/' } : readPath(own(obj, 'path'), `${p}.path`, report);
    const headers = readValueMatches(own(obj, 'headers'), `${p}.headers`, report, true);
    const queryParams = readValueMatches(own(obj, 'queryParams'), `${p}.queryParams`, report, false);
    const method = readText(own(obj, 'method'), `${p}.method`, report, { max: 16 });
    if (method !== undefined && !METHODS.includes(method)) report.problem(`${p}.method`, `${show(method)} is not one of ${METHODS.join(', ')}`);
    out.push({ ...(pathMatch ? { path: pathMatch } : {}), headers, queryParams, ...(method !== undefined ? { method } : {}) });
  });
  return out;
}

export function convertHttpRoute(object: unknown): GatewayRouteConversion {
  return convertGatewayRoute(object, 'HTTPRoute', readHttpMatches);
}
