// Test-only builders for the authorization tests: request attributes with defaults, predicates,
// matchers and policies in the contract's shapes.

import type {
  L7Action,
  L7AttributeName,
  L7Entry,
  L7Matcher,
  L7MatcherKind,
  L7Policy,
  L7Predicate,
  L7Rule,
} from '../../pkg/api/waypoint-security-types';
import type { JwtIdentity, RequestAttributes } from './attributes';

export interface AttrOptions {
  readonly sourcePrincipal?: string;
  readonly sourceNamespace?: string;
  readonly sourceIp?: string;
  readonly remoteIp?: string;
  readonly destinationIp?: string;
  readonly destinationPort?: number;
  readonly host?: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  readonly auth?: JwtIdentity;
  /** Leave the peer identity out (sourcePrincipal / sourceNamespace absent). */
  readonly anonymous?: boolean;
}

/** A request from cluster.local/ns/shop/sa/web at 198.18.1.5 for GET echo.shop:80/ unless overridden. */
export function attrs(o: AttrOptions = {}): RequestAttributes {
  const headers = o.headers ?? {};
  return {
    ...(o.anonymous ? {} : {
      sourcePrincipal: o.sourcePrincipal ?? 'cluster.local/ns/shop/sa/web',
      sourceNamespace: o.sourceNamespace ?? 'shop',
    }),
    sourceIp: o.sourceIp ?? '198.18.1.5',
    remoteIp: o.remoteIp ?? o.sourceIp ?? '198.18.1.5',
    destinationIp: o.destinationIp ?? '198.19.0.10',
    destinationPort: o.destinationPort ?? 80,
    host: o.host ?? 'echo.shop',
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    header: (name: string) => headers[name] ?? [],
    ...(o.auth ? { auth: o.auth } : {}),
  };
}

export function m(kind: L7MatcherKind, value = ''): L7Matcher {
  return { kind, value };
}

export function pred(
  attribute: L7AttributeName,
  values: readonly L7Matcher[],
  notValues: readonly L7Matcher[] = [],
  extra: { key?: string; claimPath?: readonly string[] } = {},
): L7Predicate {
  return { attribute, key: extra.key ?? '', claimPath: extra.claimPath ?? [], values, notValues };
}

export function entry(...predicates: L7Predicate[]): L7Entry {
  return { predicates };
}

export function rule(parts: { from?: L7Entry[]; to?: L7Entry[]; when?: L7Predicate[] }): L7Rule {
  return { from: parts.from ?? [], to: parts.to ?? [], when: parts.when ?? [] };
}

export function policy(
  name: string,
  action: L7Action,
  rules: readonly L7Rule[],
  opts: { namespace?: string; dryRun?: boolean; services?: readonly string[] } = {},
): L7Policy {
  const services = opts.services ?? [];
  return {
    name,
    namespace: opts.namespace ?? 'shop',
    action,
    dryRun: opts.dryRun ?? false,
    targets: { all: services.length === 0, services },
    rules,
  };
}
