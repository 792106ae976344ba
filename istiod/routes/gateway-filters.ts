// The filters of a Gateway API route rule and its backendRefs (with their weight), read strictly
// (pure): RequestHeaderModifier and ResponseHeaderModifier, RequestMirror (percent or fraction),
// and for HTTPRoute RequestRedirect (default 302) and URLRewrite (ReplaceFullPath /
// ReplacePrefixMatch, which needs exactly one PathPrefix match). CORS, ExternalAuth and
// ExtensionRef are refused: a filter is never skipped silently.

import type { HeaderMutation, PathModifier, Redirect, Rewrite, RouteMatch } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, type FieldReport, type JsonObject, own, readList, readObject, show,
} from '../policy/field-report';
import { MAX_BACKEND_REFS, MAX_FILTERS, readBackendRef, readHeaderFilter } from './gateway-common';
import { readHostname, readInt, readPathValue, readPort, readText, requireText } from './route-forms';
import type { BackendRefSpec, GatewayRouteKind, MirrorSpec } from './types';

const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** spec.rules[i].backendRefs with weight (default 1) and header filters. */
export function readBackendRefs(rule: JsonObject, path: string, routeNamespace: string, report: FieldReport): BackendRefSpec[] {
  const list = readList(own(rule, 'backendRefs'), `${path}.backendRefs`, report, MAX_BACKEND_REFS) ?? [];
  const out: BackendRefSpec[] = [];
  list.forEach((item, i) => {
    const p = `${path}.backendRefs[${i}]`;
    const obj = readObject(item, p, report);
    if (!obj) return;
    const ref = readBackendRef(obj, p, routeNamespace, report, ['weight', 'filters']);
    const weight = readInt(own(obj, 'weight'), `${p}.weight`, report, 0, 1_000_000) ?? 1;
    let requestHeaders: HeaderMutation | undefined;
    let responseHeaders: HeaderMutation | undefined;
    (readList(own(obj, 'filters'), `${p}.filters`, report, MAX_FILTERS) ?? []).forEach((f, j) => {
      const fp = `${p}.filters[${j}]`;
      const filter = readObject(f, fp, report);
      if (!filter) return;
      const type = filterType(filter, fp, report);
      if (type === 'RequestHeaderModifier') requestHeaders = readHeaderFilter(own(filter, 'requestHeaderModifier'), `${fp}.requestHeaderModifier`, report);
      else if (type === 'ResponseHeaderModifier') responseHeaders = readHeaderFilter(own(filter, 'responseHeaderModifier'), `${fp}.responseHeaderModifier`, report);
      else if (type !== undefined) report.problem(`${fp}.type`, `${show(type)} is not supported on a backendRef (only RequestHeaderModifier and ResponseHeaderModifier)`);
    });
    if (ref) out.push({ ...ref, weight, ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) });
  });
  return out;
}

const FILTER_FIELDS: Readonly<Record<string, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier', ResponseHeaderModifier: 'responseHeaderModifier', RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect', URLRewrite: 'urlRewrite', CORS: 'cors', ExternalAuth: 'externalAuth', ExtensionRef: 'extensionRef',
};

/** A filter's `type`, checking that only the matching configuration field is set. */
export function filterType(filter: JsonObject, path: string, report: FieldReport): string | undefined {
  checkKnownFields(filter, ['type', ...Object.values(FILTER_FIELDS)], path, report);
  const type = requireText(own(filter, 'type'), `${path}.type`, report, { max: 63 });
  if (type === undefined) return undefined;
  const field = FILTER_FIELDS[type];
  if (field === undefined || !Object.hasOwn(FILTER_FIELDS, type)) {
    report.problem(`${path}.type`, `${show(type)} is not a filter type (${Object.keys(FILTER_FIELDS).join(', ')})`);
    return undefined;
  }
  for (const other of Object.values(FILTER_FIELDS)) {
    if (other !== field && own(filter, other) !== undefined) report.problem(`${path}.${other}`, `must not be set for filter type ${type}`);
  }
  return type;
}

function readPathModifier(value: unknown, path: string, report: FieldReport, rule: readonly RouteMatch[]): PathModifier | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['type', 'replaceFullPath', 'replacePrefixMatch'], path, report);
  const type = requireText(own(obj, 'type'), `${path}.type`, report, { max: 63 });
  if (type === 'ReplaceFullPath') {
    if (own(obj, 'replacePrefixMatch') !== undefined) report.problem(`${path}.replacePrefixMatch`, 'must not be set with type ReplaceFullPath');
    const v = readPathValue(own(obj, 'replaceFullPath'), `${path}.replaceFullPath`, report);
    return v === undefined ? undefined : { kind: 'full', value: v };
  }
  if (type === 'ReplacePrefixMatch') {
    if (own(obj, 'replaceFullPath') !== undefined) report.problem(`${path}.replaceFullPath`, 'must not be set with type ReplacePrefixMatch');
    if (rule.length !== 1 || rule[0]?.path?.kind !== 'prefix') {
      report.problem(`${path}.type`, 'ReplacePrefixMatch needs exactly one match, with a PathPrefix path');
    }
    const v = readPathValue(own(obj, 'replacePrefixMatch'), `${path}.replacePrefixMatch`, report);
    return v === undefined ? undefined : { kind: 'prefix', value: v };
  }
  if (type !== undefined) report.problem(`${path}.type`, `${show(type)} is not ReplaceFullPath or ReplacePrefixMatch`);
  return undefined;
}

function readRedirect(value: unknown, path: string, report: FieldReport, matches: readonly RouteMatch[]): Redirect | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['scheme', 'hostname', 'path', 'port', 'statusCode'], path, report);
  const scheme = readText(own(obj, 'scheme'), `${path}.scheme`, report, { max: 16 });
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') report.problem(`${path}.scheme`, `${show(scheme)} is not http or https`);
  const hostname = readHostname(own(obj, 'hostname'), `${path}.hostname`, report);
  const pathModifier = own(obj, 'path') === undefined ? undefined : readPathModifier(own(obj, 'path'), `${path}.path`, report, matches);
  const port = readPort(own(obj, 'port'), `${path}.port`, report);
  const code = readInt(own(obj, 'statusCode'), `${path}.statusCode`, report, 100, 599) ?? 302;
  if (!REDIRECT_CODES.includes(code)) report.problem(`${path}.statusCode`, `${code} is not a redirect status (${REDIRECT_CODES.join(', ')})`);
  return {
    statusCode: code, ...(scheme !== undefined ? { scheme } : {}), ...(hostname !== undefined ? { hostname } : {}),
    ...(pathModifier ? { path: pathModifier } : {}), ...(port !== undefined ? { port } : {}),
  };
}

function readRewrite(value: unknown, path: string, report: FieldReport, matches: readonly RouteMatch[]): Rewrite | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['hostname', 'path'], path, report);
  const hostname = readHostname(own(obj, 'hostname'), `${path}.hostname`, report);
  const pathModifier = own(obj, 'path') === undefined ? undefined : readPathModifier(own(obj, 'path'), `${path}.path`, report, matches);
  if (hostname === undefined && !pathModifier) return undefined;
  return { ...(hostname !== undefined ? { hostname } : {}), ...(pathModifier ? { path: pathModifier } : {}) };
}

function readMirror(value: unknown, path: string, routeNamespace: string, report: FieldReport): MirrorSpec | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['backendRef', 'percent', 'fraction'], path, report);
  const refObj = readObject(own(obj, 'backendRef'), `${path}.backendRef`, report);
  if (!refObj) {
    if (own(obj, 'backendRef') === undefined) report.problem(`${path}.backendRef`, 'is required');
    return undefined;
  }
  const ref = readBackendRef(refObj, `${path}.backendRef`, routeNamespace, report, []);
  let percent = readInt(own(obj, 'percent'), `${path}.percent`, report, 0, 100);
  const fraction = readObject(own(obj, 'fraction'), `${path}.fraction`, report);
  if (fraction) {
    if (percent !== undefined) report.problem(`${path}.fraction`, 'only one of percent and fraction may be set');
    checkKnownFields(fraction, ['numerator', 'denominator'], `${path}.fraction`, report);
    const numerator = readInt(own(fraction, 'numerator'), `${path}.fraction.numerator`, report, 0, 1_000_000);
    const denominator = readInt(own(fraction, 'denominator'), `${path}.fraction.denominator`, report, 1, 1_000_000) ?? 100;
    if (numerator === undefined && own(fraction, 'numerator') === undefined) report.problem(`${path}.fraction.numerator`, 'is required');
    if (numerator !== undefined && numerator > denominator) report.problem(`${path}.fraction`, 'numerator must not exceed denominator');
    else if (numerator !== undefined) percent = (numerator / denominator) * 100;
  }
  return ref ? { ref: { ...ref, weight: 1 }, percent: percent ?? 100 } : undefined;
}

export interface RuleFilters {
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
  readonly redirect?: Redirect;
  readonly rewrite?: Rewrite;
  readonly mirrors: readonly MirrorSpec[];
}

/** spec.rules[i].filters; `matches` are the rule's (for ReplacePrefixMatch). */
export function readRuleFilters(rule: JsonObject, path: string, kind: GatewayRouteKind, routeNamespace: string,
  matches: readonly RouteMatch[], report: FieldReport): RuleFilters {
  const allowed = kind === 'HTTPRoute'
    ? ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite']
    : ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror'];
  const out: { -readonly [K in keyof RuleFilters]: RuleFilters[K] } = { mirrors: [] };
  const mirrors: MirrorSpec[] = [];
  const seen = new Set<string>();
  (readList(own(rule, 'filters'), `${path}.filters`, report, MAX_FILTERS) ?? []).forEach((item, i) => {
    const fp = `${path}.filters[${i}]`;
    const filter = readObject(item, fp, report);
    if (!filter) return;
    const type = filterType(filter, fp, report);
    if (type === undefined) return;
    if (!allowed.includes(type)) {
      report.problem(`${fp}.type`, `${show(type)} is not supported by ambit's waypoint on a ${kind} (supported: ${allowed.join(', ')})`);
      return;
    }
    if (type !== 'RequestMirror' && seen.has(type)) report.problem(`${fp}.type`, `${type} may appear only once in a rule`);
    seen.add(type);
    const field = `${fp}.${FILTER_FIELDS[type] ?? ''}`;
    const config = own(filter, FILTER_FIELDS[type] ?? '');
    if (config === undefined || config === null) report.problem(field, `is required for filter type ${type}`);
    if (type === 'RequestHeaderModifier') out.requestHeaders = readHeaderFilter(config, field, report);
    else if (type === 'ResponseHeaderModifier') out.responseHeaders = readHeaderFilter(config, field, report);
    else if (type === 'RequestRedirect') out.redirect = readRedirect(config, field, report, matches);
    else if (type === 'URLRewrite') out.rewrite = readRewrite(config, field, report, matches);
    else {
      const m = readMirror(config, field, routeNamespace, report);
      if (m) mirrors.push(m);
    }
  });
  if (seen.has('RequestRedirect') && seen.has('URLRewrite')) report.problem(`${path}.filters`, 'RequestRedirect and URLRewrite cannot be combined');
  out.mirrors = mirrors;
  return out;
}

