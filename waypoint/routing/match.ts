// Route selection: the first Route (istiod orders them) with a RouteMatch the request satisfies.
// Semantics follow Gateway API HTTPRoute (path exact / segment prefix / anchored regex, headers by
// case-insensitive name and case-sensitive value, query parameters by decoded name, method) plus
// Istio VirtualService's header prefix, presence and `withoutHeaders` (invert). Regexes are
// compiled once per Route object (WeakMap); an invalid regex makes its RouteMatch never match
// (fail closed, inverted or not). Selections are preallocated so a lookup allocates nothing.

import type { PathMatch, Route, RouteMatch, ValueMatch } from '../../pkg/api/waypoint-types';
import { queryParam } from './query';

export interface RequestView {
  readonly method: string;
  /** Without the query. */
  readonly path: string;
  /** Raw, without '?'. */
  readonly query: string;
  /** Lower-case name; repeated values joined with ','. */
  header(name: string): string | undefined;
}

export interface RouteSelection {
  readonly route: Route;
  /** The match that hit; undefined when the route has no matches. */
  readonly match?: RouteMatch;
}

/** A compiled value matcher: the regex for `regex` kinds, null when it failed to compile. */
type CompiledRegex = RegExp | null | undefined;

interface CompiledMatch {
  readonly selection: RouteSelection;
  /** False when a regex of this match failed to compile: it never matches. */
  readonly usable: boolean;
  /** Prefix with any trailing '/' removed ('' for '/'), for segment-aware prefix matching. */
  readonly prefix: string;
  readonly pathRegex: CompiledRegex;
  readonly headerRegexes: readonly CompiledRegex[];
  readonly queryRegexes: readonly CompiledRegex[];
}

interface CompiledRoute {
  /** Set when the route has no matches (it takes every request). */
  readonly all?: RouteSelection;
  readonly matches: readonly CompiledMatch[];
}

const compiled = new WeakMap<Route, CompiledRoute>();

/** `value` as a full-match (anchored) regex; null when it is not a valid pattern. */
export function compileFullMatch(value: string): RegExp | null {
  try {
    return new RegExp(`^(?:${value})$`, 'u');
  } catch {
    try {
      // RE2 patterns that are valid JS only without the `u` flag (e.g. escaped punctuation).
      return new RegExp(`^(?:${value})$`);
    } catch {
      return null;
    }
  }
}

function regexFor(kind: string, value: string): CompiledRegex {
  return kind === 'regex' ? compileFullMatch(value) : undefined;
}

function compileMatch(route: Route, match: RouteMatch): CompiledMatch {
  const pathRegex = match.path ? regexFor(match.path.kind, match.path.value) : undefined;
  const headerRegexes = match.headers.map((h) => regexFor(h.kind, h.value));
  const queryRegexes = match.queryParams.map((q) => regexFor(q.kind, q.value));
  const usable = pathRegex !== null && !headerRegexes.includes(null) && !queryRegexes.includes(null);
  return {
    selection: Object.freeze({ route, match }),
    usable,
    prefix: match.path?.kind === 'prefix' ? trimTrailingSlashes(match.path.value) : '',
    pathRegex,
    headerRegexes,
    queryRegexes,
  };
}

function compile(route: Route): CompiledRoute {
  let c = compiled.get(route);
  if (!c) {
    c = route.matches.length === 0
      ? { all: Object.freeze({ route }), matches: [] }
      : { matches: route.matches.map((m) => compileMatch(route, m)) };
    compiled.set(route, c);
  }
  return c;
}

/** "/foo/" → "/foo", "/" → "", "" → "". */
export function trimTrailingSlashes(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0x2f) end--;
  return end === p.length ? p : p.slice(0, end);
}

/** Gateway API PathPrefix: whole path segments; `prefix` already has trailing slashes removed. */
export function segmentPrefixMatches(prefix: string, path: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f;
}

function pathMatches(p: PathMatch, c: CompiledMatch, path: string): boolean {
  switch (p.kind) {
    case 'exact': return path === p.value;
    case 'prefix': return segmentPrefixMatches(c.prefix, path);
    case 'regex': return c.pathRegex ? c.pathRegex.test(path) : false;
  }
}

function valueMatches(m: ValueMatch, re: CompiledRegex, value: string | undefined): boolean {
  let hit: boolean;
  if (value === undefined) hit = false;
  else {
    switch (m.kind) {
      case 'exact': hit = value === m.value; break;
      case 'prefix': hit = value.startsWith(m.value); break;
      case 'regex': hit = re ? re.test(value) : false; break;
      case 'present': hit = true; break;
    }
  }
  return m.invert ? !hit : hit;
}

function matchHits(m: RouteMatch, c: CompiledMatch, req: RequestView): boolean {
  if (!c.usable) return false;
  if (m.method !== undefined && m.method !== req.method) return false;
  if (m.path && !pathMatches(m.path, c, req.path)) return false;
  for (let i = 0; i < m.headers.length; i++) {
    const h = m.headers[i];
    if (!valueMatches(h, c.headerRegexes[i], req.header(h.name))) return false;
  }
  for (let i = 0; i < m.queryParams.length; i++) {
    const q = m.queryParams[i];
    if (!valueMatches(q, c.queryRegexes[i], queryParam(req.query, q.name))) return false;
  }
  return true;
}

/** The first route (in order) with a matching RouteMatch; undefined when none matches. */
export function selectRoute(routes: readonly Route[], req: RequestView): RouteSelection | undefined {
  for (const route of routes) {
    const c = compile(route);
    if (c.all) return c.all;
    for (let i = 0; i < c.matches.length; i++) {
      const cm = c.matches[i];
      if (matchHits(route.matches[i], cm, req)) return cm.selection;
    }
  }
  return undefined;
}
