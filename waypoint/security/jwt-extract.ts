// Where RequestAuthentication reads tokens (pure): a JWT rule's locations — its fromHeaders (value
// after a prefix), fromParams (URL-decoded query parameters) and fromCookies, or Istio's defaults
// `Authorization: Bearer <token>` and `?access_token=` when it names none — and the tokens a
// request carries at a set of locations, deduplicated, each with every location it was found at.

import type { JwtRule } from '../../pkg/api/waypoint-security-types';

/** The request as the authenticator reads it. */
export interface AuthnRequest {
  /** Every value of a header (name lower-case), in order; [] when absent. */
  header(name: string): readonly string[];
  /** The raw query string, without '?'. */
  readonly query: string;
}

export type TokenLocation =
  | { readonly kind: 'header'; readonly name: string; readonly prefix: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };

export interface FoundToken {
  readonly token: string;
  /** Keys (locationKey) of every location the token was found at. */
  readonly locations: readonly string[];
  /** Lower-case names of the headers that carried it. */
  readonly headers: readonly string[];
}

const DEFAULT_PREFIX = 'Bearer ';
const DEFAULT_LOCATIONS: readonly TokenLocation[] = Object.freeze([
  { kind: 'header', name: 'authorization', prefix: DEFAULT_PREFIX },
  { kind: 'param', name: 'access_token' },
]);

/** A rule's token locations (Istio's defaults when it names none). */
export function ruleLocations(rule: JwtRule): readonly TokenLocation[] {
  if (rule.fromHeaders.length === 0 && rule.fromParams.length === 0 && rule.fromCookies.length === 0) return DEFAULT_LOCATIONS;
  return [
    ...rule.fromHeaders.map((h): TokenLocation => ({ kind: 'header', name: h.name.toLowerCase(), prefix: h.prefix })),
    ...rule.fromParams.map((name): TokenLocation => ({ kind: 'param', name })),
    ...rule.fromCookies.map((name): TokenLocation => ({ kind: 'cookie', name })),
  ];
}

/** A stable key naming one location. */
export function locationKey(loc: TokenLocation): string {
  return loc.kind === 'header' ? `header\u0000${loc.name}\u0000${loc.prefix}` : `${loc.kind}\u0000${loc.name}`;
}

/** The token in a header value: the rest after the prefix (an auth scheme compares case-insensitively). */
function afterPrefix(value: string, prefix: string): string | undefined {
  const v = value.trim();
  if (prefix === '') return v === '' ? undefined : v;
  if (v.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
  const rest = v.slice(prefix.length).trim();
  return rest === '' ? undefined : rest;
}

/** Every value of query parameter `name`, URL-decoded. */
function queryValues(query: string, name: string): string[] {
  if (query === '') return [];
  try {
    return new URLSearchParams(query).getAll(name);
  } catch {
    return [];
  }
}

/** Every value of cookie `name` across the request's cookie headers. */
function cookieValues(req: AuthnRequest, name: string): string[] {
  const out: string[] = [];
  for (const header of req.header('cookie')) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      out.push(value);
    }
  }
  return out;
}

/** The tokens a request carries at these locations, in location order, each once. */
export function extractTokens(locations: readonly TokenLocation[], req: AuthnRequest): FoundToken[] {
  const found = new Map<string, { locations: Set<string>; headers: Set<string> }>();
  const add = (token: string, loc: TokenLocation): void => {
    if (token === '') return;
    let entry = found.get(token);
    if (!entry) {
      entry = { locations: new Set(), headers: new Set() };
      found.set(token, entry);
    }
    entry.locations.add(locationKey(loc));
    if (loc.kind === 'header') entry.headers.add(loc.name);
  };
  for (const loc of locations) {
    if (loc.kind === 'header') {
      for (const value of req.header(loc.name)) {
        const token = afterPrefix(value, loc.prefix);
        if (token !== undefined) add(token, loc);
      }
    } else if (loc.kind === 'param') {
      for (const value of queryValues(req.query, loc.name)) add(value.trim(), loc);
    } else {
      for (const value of cookieValues(req, loc.name)) add(value, loc);
    }
  }
  return [...found].map(([token, e]) => ({ token, locations: [...e.locations], headers: [...e.headers] }));
}
