// The order of Gateway API route matches attached to one Service port (pure), as the HTTPRoute
// spec prescribes across all routes: an Exact path, then the longest PathPrefix (regex paths after
// prefixes, longest first, as Istio does), then a method match, then more header matches, then more
// query-parameter matches; ties go to the oldest route (creationTimestamp), then the route first
// by "<namespace>/<name>", then the earlier rule and match.

import type { RouteMatch } from '../../pkg/api/waypoint-types';

export interface RankedMatch {
  readonly match: RouteMatch;
  /** Route creationTimestamp (ms); absent sorts last. */
  readonly createdAt?: number;
  /** "<namespace>/<name>" of the route. */
  readonly route: string;
  /** HTTPRoute before GRPCRoute when everything else ties. */
  readonly kind: string;
  readonly rule: number;
  readonly matchIndex: number;
}

const PATH_RANK: Readonly<Record<string, number>> = { exact: 3, prefix: 2, regex: 1 };

function pathRank(m: RouteMatch): number {
  return m.path ? PATH_RANK[m.path.kind] ?? 0 : 0;
}

/** Negative when `a` takes precedence over `b`. */
export function comparePrecedence(a: RankedMatch, b: RankedMatch): number {
  const ma = a.match;
  const mb = b.match;
  return (pathRank(mb) - pathRank(ma))
    || ((mb.path?.value.length ?? 0) - (ma.path?.value.length ?? 0))
    || (Number(mb.method !== undefined) - Number(ma.method !== undefined))
    || (mb.headers.length - ma.headers.length)
    || (mb.queryParams.length - ma.queryParams.length)
    || ((a.createdAt ?? Number.MAX_SAFE_INTEGER) - (b.createdAt ?? Number.MAX_SAFE_INTEGER))
    || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0)
    || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)
    || (a.rule - b.rule)
    || (a.matchIndex - b.matchIndex);
}

/** A sorted copy. */
export function sortByPrecedence<T extends RankedMatch>(matches: readonly T[]): T[] {
  return [...matches].sort(comparePrecedence);
}
