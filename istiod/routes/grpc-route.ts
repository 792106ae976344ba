// `gateway.networking.k8s.io/v1` GRPCRoute → GatewayRouteSpec (pure). A gRPC method match becomes
// a path match on "/<service>/<method>": Exact service and method → exact path, service only →
// prefix "/<service>/", method only → regex "/[^/]+/<method>", RegularExpression → a regex of the
// two parts; header matches as in HTTPRoute. Filters: header modifiers and RequestMirror.

import type { PathMatch, RouteMatch } from '../../pkg/api/waypoint-types';
import { regexProblem } from '../../pkg/api/safe-regex';
import {
  checkKnownFields, type FieldReport, own, readObject, show,
} from '../policy/field-report';
import { convertGatewayRoute, type GatewayRouteConversion } from './gateway-route';
import { readValueMatches } from './http-route';
import { escapeRegex, readText } from './route-forms';

const SERVICE = /^\.?[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

function readMethodMatch(value: unknown, path: string, report: FieldReport): PathMatch | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['type', 'service', 'method'], path, report);
  const type = readText(own(obj, 'type'), `${path}.type`, report, { max: 63 }) ?? 'Exact';
  const service = readText(own(obj, 'service'), `${path}.service`, report, { max: 1024 });
  const method = readText(own(obj, 'method'), `${path}.method`, report, { max: 1024 });
  if (service === undefined && method === undefined) {
    if (own(obj, 'service') === undefined && own(obj, 'method') === undefined) report.problem(path, 'one of service and method must be set');
    return undefined;
  }
  if (type === 'Exact') {
    let bad = false;
    if (service !== undefined && !SERVICE.test(service)) { report.problem(`${path}.service`, `${show(service)} is not a gRPC service name`); bad = true; }
    if (method !== undefined && !METHOD.test(method)) { report.problem(`${path}.method`, `${show(method)} is not a gRPC method name`); bad = true; }
    if (bad) return undefined;
    if (service !== undefined && method !== undefined) return { kind: 'exact', value: `/${service}/${method}` };
    if (service !== undefined) return { kind: 'prefix', value: `/${service}/` };
    return { kind: 'regex', value: `/[^/]+/${escapeRegex(method ?? '')}` };
  }
  if (type !== 'RegularExpression') {
    report.problem(`${path}.type`, `${show(type)} is not Exact or RegularExpression`);
    return undefined;
  }
  for (const [key, part] of [['service', service], ['method', method]] as const) {
    const why = part === undefined ? undefined : regexProblem(part);
    if (why) {
      report.problem(`${path}.${key}`, why);
      return undefined;
    }
  }
  const pattern = `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})`;
  const why = regexProblem(pattern);
  if (why) {
    report.problem(path, why);
    return undefined;
  }
  return { kind: 'regex', value: pattern };
}

function readGrpcMatches(matches: readonly unknown[], path: string, report: FieldReport): RouteMatch[] {
  const out: RouteMatch[] = [];
  matches.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const obj = readObject(item, p, report);
    if (!obj) {
      if (item === null || item === undefined) report.problem(p, 'must not be null');
      return;
    }
    checkKnownFields(obj, ['method', 'headers'], p, report);
    const pathMatch = own(obj, 'method') === undefined ? undefined : readMethodMatch(own(obj, 'method'), `${p}.method`, report);
    const headers = readValueMatches(own(obj, 'headers'), `${p}.headers`, report, true);
    out.push({ ...(pathMatch ? { path: pathMatch } : {}), headers, queryParams: [] });
  });
  return out;
}

export function convertGrpcRoute(object: unknown): GatewayRouteConversion {
  return convertGatewayRoute(object, 'GRPCRoute', readGrpcMatches);
}
