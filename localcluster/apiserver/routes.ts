// Pure URL routing for the API server: turns a request path into what it addresses — a health
// or discovery endpoint, an OpenAPI document, or a resource (group, version, namespace, plural,
// name, subresource). No knowledge of which types exist; the handlers look those up.

export const Route = {
  Health: 'health',
  Version: 'version',
  CoreVersions: 'core-versions',
  GroupList: 'group-list',
  Group: 'group',
  ResourceList: 'resource-list',
  OpenApiIndex: 'openapi-index',
  OpenApiDocument: 'openapi-document',
  OpenApiV2: 'openapi-v2',
  OidcDiscovery: 'oidc-discovery',
  Jwks: 'jwks',
  Resource: 'resource',
  NotFound: 'not-found',
} as const;

export interface ResourceTarget {
  group: string;
  version: string;
  /** Set when the URL has `/namespaces/<ns>/` before the plural (or names a namespace itself). */
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path prefix was used. */
  watchPrefix: boolean;
}

export type RouteMatch =
  | { kind: typeof Route.Health; check: string }
  | { kind: typeof Route.Version }
  | { kind: typeof Route.CoreVersions }
  | { kind: typeof Route.GroupList }
  | { kind: typeof Route.Group; group: string }
  | { kind: typeof Route.ResourceList; group: string; version: string }
  | { kind: typeof Route.OpenApiIndex }
  | { kind: typeof Route.OpenApiDocument; groupVersion: string }
  | { kind: typeof Route.OpenApiV2 }
  | { kind: typeof Route.OidcDiscovery }
  | { kind: typeof Route.Jwks }
  | { kind: typeof Route.Resource; target: ResourceTarget }
  | { kind: typeof Route.NotFound };

const HEALTH = new Set(['healthz', 'readyz', 'livez']);

/** Path segments, percent-decoded; undefined when the path cannot be decoded. */
function segmentsOf(path: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
  }
  return out;
}

export function matchRoute(path: string): RouteMatch {
  const segs = segmentsOf(path);
  if (!segs || segs.length === 0) return { kind: Route.NotFound };
  const [first] = segs;
  if (HEALTH.has(first)) return { kind: Route.Health, check: segs.join('/') };
  if (first === 'version' && segs.length === 1) return { kind: Route.Version };
  if (first === '.well-known' && segs[1] === 'openid-configuration' && segs.length === 2) return { kind: Route.OidcDiscovery };
  if (first === 'openid' && segs.join('/') === 'openid/v1/jwks') return { kind: Route.Jwks };
  if (first === 'openapi') {
    if (segs[1] === 'v2' && segs.length === 2) return { kind: Route.OpenApiV2 };
    if (segs[1] === 'v3' && segs.length === 2) return { kind: Route.OpenApiIndex };
    if (segs[1] === 'v3') return { kind: Route.OpenApiDocument, groupVersion: segs.slice(2).join('/') };
    return { kind: Route.NotFound };
  }
  if (first === 'api') {
    if (segs.length === 1) return { kind: Route.CoreVersions };
    if (segs.length === 2) return { kind: Route.ResourceList, group: '', version: segs[1] };
    return resourceRoute('', segs[1], segs.slice(2));
  }
  if (first === 'apis') {
    if (segs.length === 1) return { kind: Route.GroupList };
    if (segs.length === 2) return { kind: Route.Group, group: segs[1] };
    if (segs.length === 3) return { kind: Route.ResourceList, group: segs[1], version: segs[2] };
    return resourceRoute(segs[1], segs[2], segs.slice(3));
  }
  return { kind: Route.NotFound };
}

/** `rest` is what follows `/api/v1` or `/apis/<g>/<v>`. */
function resourceRoute(group: string, version: string, rest: string[]): RouteMatch {
  let watchPrefix = false;
  let segs = rest;
  if (segs[0] === 'watch') {
    watchPrefix = true;
    segs = segs.slice(1);
  }
  const base = { group, version, watchPrefix };
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const [, namespace, third, ...more] = segs;
    // `/namespaces/<name>/status` and `/namespaces/<name>/finalize` are subresources of a namespace.
    if (group === '' && segs.length === 3 && (third === 'status' || third === 'finalize')) {
      return { kind: Route.Resource, target: { ...base, plural: 'namespaces', name: namespace, subresource: third } };
    }
    if (more.length > 2) return { kind: Route.NotFound };
    return { kind: Route.Resource, target: { ...base, namespace, plural: third, name: more[0], subresource: more[1] } };
  }
  if (segs.length === 0 || segs.length > 3) return { kind: Route.NotFound };
  const [plural, name, subresource] = segs;
  return { kind: Route.Resource, target: { ...base, plural, name, subresource } };
}
