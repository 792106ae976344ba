// Request/response filters as pure functions: header mutation (Gateway API RequestHeaderModifier /
// ResponseHeaderModifier, VirtualService `headers`), path rewrite (URLRewrite ReplaceFullPath /
// ReplacePrefixMatch, VirtualService `rewrite.uri`) and the Location of a RequestRedirect.
//
// Header mutation order is Envoy's: remove, then set, then add. Pseudo-headers (':…') are never
// touched; hop-by-hop headers cannot be set or added; 'host' cannot be removed.
//
// Prefix replacement is Gateway API's segment-aware ReplacePrefixMatch: the matched prefix and
// the replacement are compared without trailing slashes, so no double slash appears and '/'
// replaced by '/v2' turns '/rest' into '/v2/rest'. A 'prefix' modifier on a route whose match was
// exact or regex replaces the whole path (VirtualService: the matched "prefix" is the whole path);
// with no path match at all the matched prefix is '/'.

import type { HeaderMutation, PathModifier, Redirect, RouteMatch } from '../../pkg/api/waypoint-types';
import { segmentPrefixMatches, trimTrailingSlashes } from './match';

/** Lower-case keys. */
export type HeaderBag = Record<string, string | string[] | undefined>;

const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te']);

function settable(name: string): boolean {
  return name.length > 0 && name.charCodeAt(0) !== 0x3a && !HOP_BY_HOP.has(name);
}

function removable(name: string): boolean {
  return name.length > 0 && name.charCodeAt(0) !== 0x3a && name !== 'host';
}

/** Applies `m` to `headers` in place: remove, then set (replace), then add (append). */
export function applyHeaderMutation(headers: HeaderBag, m: HeaderMutation | undefined): void {
  if (m === undefined) return;
  for (const name of m.remove) {
    if (removable(name)) delete headers[name];
  }
  for (const { name, value } of m.set) {
    if (settable(name)) headers[name] = value;
  }
  for (const { name, value } of m.add) {
    if (!settable(name)) continue;
    const current = headers[name];
    // A new array: the old one may be shared with the incoming message or a mirror's copy.
    headers[name] = current === undefined ? value : Array.isArray(current) ? [...current, value] : [current, value];
  }
}

/** The path after `modifier`, without the query. */
function modifiedPath(path: string, match: RouteMatch | undefined, modifier: PathModifier): string {
  if (modifier.kind === 'full') return modifier.value === '' ? '/' : modifier.value;
  const pm = match?.path;
  if (pm !== undefined && pm.kind !== 'prefix') return modifier.value === '' ? '/' : modifier.value;
  const prefix = pm === undefined ? '' : trimTrailingSlashes(pm.value);
  // The request matched the prefix; if a caller passes one that did not, keep the whole path.
  const rest = segmentPrefixMatches(prefix, path) ? path.slice(prefix.length) : path;
  const replaced = trimTrailingSlashes(modifier.value) + rest;
  if (replaced === '') return '/';
  return replaced.charCodeAt(0) === 0x2f ? replaced : `/${replaced}`;
}

/** The rewritten path plus '?' + query when there is one. */
export function rewritePath(path: string, query: string, match: RouteMatch | undefined, modifier: PathModifier): string {
  const p = modifiedPath(path, match, modifier);
  return query === '' ? p : `${p}?${query}`;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * Gateway API RequestRedirect: the parts the redirect omits come from the request. The port is,
 * in order: the redirect's, the well-known port of a scheme the redirect changes, the request's;
 * it is left out of the Location when it is the scheme's default.
 */
export function redirectLocation(
  req: { readonly scheme: string; readonly host: string; readonly port?: number; readonly path: string; readonly query: string },
  match: RouteMatch | undefined,
  r: Redirect,
): string {
  const scheme = (r.scheme ?? req.scheme).toLowerCase();
  const host = r.hostname ?? req.host;
  let port = r.port;
  if (port === undefined) port = r.scheme !== undefined ? DEFAULT_PORTS[scheme] ?? req.port : req.port;
  const showPort = port !== undefined && port !== DEFAULT_PORTS[scheme];
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const pathPart = r.path !== undefined
    ? rewritePath(req.path, req.query, match, r.path)
    : req.query === '' ? req.path : `${req.path}?${req.query}`;
  return `${scheme}://${hostPart}${showPort ? `:${port}` : ''}${pathPart}`;
}
