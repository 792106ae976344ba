// The frame of a Gateway API route conversion (pure), shared by HTTPRoute and GRPCRoute: envelope
// (kind, apiVersion, metadata), spec fields, Service parentRefs, and for each rule its matches (by
// the kind's own reader), filters, backendRefs, timeouts and retry. Any problem rejects the object
// whole; warnings (ignored fields) do not.

import type { RouteMatch } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, FieldReport, isObject, type JsonObject, own, readList, readObject,
} from '../policy/field-report';
import { readMetadata } from '../policy/metadata';
import { readParentRefs, readTiming } from './gateway-common';
import { readBackendRefs, readRuleFilters } from './gateway-filters';
import type { Conversion, GatewayRouteKind, GatewayRouteSpec, GatewayRule } from './types';

export const MAX_RULES = 16;
export const MAX_MATCHES = 64;
const GATEWAY_API_VERSIONS = ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1', 'gateway.networking.k8s.io/v1alpha2'];

/** Reads one rule's `matches` list (already known to be a list); undefined entries are skipped. */
export type MatchReader = (matches: readonly unknown[], path: string, report: FieldReport) => RouteMatch[];

export interface GatewayRouteConversion extends Conversion<GatewayRouteSpec> {
  /** metadata.namespace / name ('' when unreadable). */
  readonly namespace: string;
  readonly name: string;
  /** The Service parentRefs that could be read, even when the route is rejected (for status). */
  readonly parents: GatewayRouteSpec['parents'];
}

const RULE_FIELDS: Readonly<Record<GatewayRouteKind, readonly string[]>> = {
  HTTPRoute: ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence'],
  GRPCRoute: ['name', 'matches', 'filters', 'backendRefs', 'sessionPersistence'],
};

/**
 * The match of a rule without matches: HTTPRoute's default (PathPrefix "/"); for a GRPCRoute no
 * path at all, so it ranks below every method match (GRPCRoute precedence: most specific first).
 */
function everything(kind: GatewayRouteKind): RouteMatch {
  return kind === 'HTTPRoute' ? { path: { kind: 'prefix', value: '/' }, headers: [], queryParams: [] } : { headers: [], queryParams: [] };
}

function readRule(kind: GatewayRouteKind, item: unknown, index: number, namespace: string, readMatches: MatchReader,
  report: FieldReport): GatewayRule | undefined {
  const path = `spec.rules[${index}]`;
  const rule = readObject(item, path, report);
  if (!rule) {
    if (item === null || item === undefined) report.problem(path, 'must not be null');
    return undefined;
  }
  checkKnownFields(rule, RULE_FIELDS[kind], path, report);
  if (own(rule, 'sessionPersistence') !== undefined) report.problem(`${path}.sessionPersistence`, 'session persistence is not supported by ambit');
  const rawMatches = readList(own(rule, 'matches'), `${path}.matches`, report, MAX_MATCHES);
  const matches = rawMatches && rawMatches.length > 0 ? readMatches(rawMatches, `${path}.matches`, report) : [];
  const effective: RouteMatch[] = matches.length > 0 ? matches : [everything(kind)];
  const filters = readRuleFilters(rule, path, kind, namespace, effective, report);
  const backendRefs = readBackendRefs(rule, path, namespace, report);
  if (filters.redirect && backendRefs.length > 0) report.problem(`${path}.backendRefs`, 'a rule with a RequestRedirect filter must not have backendRefs');
  const timing = kind === 'HTTPRoute' ? readTiming(rule, path, report) : readTiming({}, path, report);
  return {
    index, matches: effective, mirrors: filters.mirrors, backendRefs, retry: timing.retry,
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
    ...(filters.redirect ? { redirect: filters.redirect } : {}),
    ...(filters.rewrite ? { rewrite: filters.rewrite } : {}),
    ...(timing.timeoutMs !== undefined ? { timeoutMs: timing.timeoutMs } : {}),
  };
}

export function convertGatewayRoute(object: unknown, kind: GatewayRouteKind, readMatches: MatchReader): GatewayRouteConversion {
  const report = new FieldReport();
  const top: JsonObject = isObject(object) ? object : {};
  if (!isObject(object)) report.problem('', 'the object is not a JSON object');
  const meta = readMetadata(top, kind, GATEWAY_API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report);
  if (!spec) report.problem('spec', 'is required');
  let parents: GatewayRouteSpec['parents'] = [];
  const rules: GatewayRule[] = [];
  if (spec) {
    checkKnownFields(spec, ['parentRefs', 'hostnames', 'rules', 'useDefaultGateways'], 'spec', report);
    parents = readParentRefs(spec, meta.namespace, report);
    const hostnames = readList(own(spec, 'hostnames'), 'spec.hostnames', report, 16);
    if (hostnames && hostnames.length > 0) report.warn('spec.hostnames', 'ignored: a route attached to a Service applies to the Service\'s own traffic');
    const list = readList(own(spec, 'rules'), 'spec.rules', report, MAX_RULES) ?? [];
    list.forEach((item, i) => {
      const rule = readRule(kind, item, i, meta.namespace, readMatches, report);
      if (rule) rules.push(rule);
    });
    if (list.length === 0) {
      // The API server defaults rules to one rule matching "/" with no backends.
      rules.push({ index: 0, matches: [everything(kind)], mirrors: [], backendRefs: [], retry: readTiming({}, '', report).retry });
    }
  }
  const problems = report.problems();
  const base = {
    namespace: meta.namespace, name: meta.name, parents, problems, warnings: report.warnings(),
    ...(meta.createdAt !== undefined ? { createdAt: meta.createdAt } : {}),
  };
  return problems.length > 0 ? base : { ...base, spec: { kind, parents, rules } };
}
