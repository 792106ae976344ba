// The API server's single request entry point: parses the URL, authenticates, dispatches to
// health, discovery, OpenAPI, watch or resource handling, and turns every failure into a
// Kubernetes Status response here and nowhere else — a broken request never escapes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, internalError, methodNotAllowed, StatusReason } from './errors';
import { apiGroup, coreVersions, groupList, KUBE_VERSION, resourceList } from './discovery';
import { readBody, sendError, sendJson, warningHeaders } from './http-io';
import type { OpenApiSet } from './openapi';
import { handleResource, ResourceContext, resolveType } from './resource-handlers';
import { matchRoute, Route, RouteMatch } from './routes';
import { tableView } from './table';
import { SERVICE_ACCOUNT_ISSUER } from './tokens';
import type { WatchHub } from './watch-stream';

export interface HandlerDeps {
  ctx: ResourceContext;
  watches: WatchHub;
  openapi: () => OpenApiSet;
  /** Write one access-log line per request to stdout. */
  accessLog: boolean;
}

const notFoundError = (): ApiError => new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource');
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const METHODS = new Set(['GET', ...WRITE_METHODS]);
const PUBLIC_ROUTES = new Set<RouteMatch['kind']>([Route.Health, Route.Version, Route.OidcDiscovery, Route.Jwks]);

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function oidcDiscovery(): unknown {
  return {
    issuer: SERVICE_ACCOUNT_ISSUER, jwks_uri: `${SERVICE_ACCOUNT_ISSUER}/openid/v1/jwks`,
    response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
  };
}

async function dispatch(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, route: RouteMatch, query: URLSearchParams): Promise<void> {
  const { registry } = deps.ctx;
  const method = req.method ?? 'GET';
  if (route.kind !== Route.Resource && method !== 'GET') throw methodNotAllowed(`the server does not allow the ${method} method here`);
  switch (route.kind) {
    case Route.Health: return sendText(res, 200, 'ok');
    case Route.Version: return sendJson(res, 200, KUBE_VERSION);
    case Route.OidcDiscovery: return sendJson(res, 200, oidcDiscovery());
    case Route.Jwks: return sendJson(res, 200, { keys: [deps.ctx.signer.publicJwk()] });
    case Route.CoreVersions: return sendJson(res, 200, coreVersions(`${req.socket.localAddress ?? ''}:${req.socket.localPort ?? ''}`));
    case Route.GroupList: return sendJson(res, 200, groupList(registry.all()));
    case Route.Group: {
      const group = apiGroup(registry.all(), route.group);
      if (!group) throw notFoundError();
      return sendJson(res, 200, group);
    }
    case Route.ResourceList: {
      const resources = resourceList(registry.all(), route.group, route.version);
      if (!resources) throw notFoundError();
      return sendJson(res, 200, resources);
    }
    case Route.OpenApiIndex: return sendJson(res, 200, deps.openapi().index);
    case Route.OpenApiDocument: {
      const text = deps.openapi().documents.get(route.groupVersion);
      if (text === undefined) throw notFoundError();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return undefined;
    }
    case Route.OpenApiV2:
    case Route.NotFound:
      throw notFoundError();
    case Route.Resource: {
      if (!METHODS.has(method)) throw methodNotAllowed(`the server does not allow the ${method} method`);
      const type = resolveType(registry, route.target);
      const watch = query.get('watch');
      // kubectl get asks for a meta.k8s.io Table (server-side printing) in its Accept header.
      const table = method === 'GET' ? tableView(deps.ctx, type, req.headers.accept, query) : undefined;
      if (method === 'GET' && (route.target.watchPrefix || watch === 'true' || watch === '1')) {
        if (!type.verbs.includes('watch')) throw methodNotAllowed('the server does not allow watching this resource');
        return deps.watches.serve(type, route.target, query, res, table?.watch);
      }
      const body = WRITE_METHODS.has(method) ? await readBody(req) : undefined;
      const reply = handleResource(deps.ctx, {
        method, target: route.target, type, query, contentType: req.headers['content-type'], body,
      });
      const headers: Record<string, string[]> = reply.warnings?.length ? { Warning: warningHeaders(reply.warnings) } : {};
      return sendJson(res, reply.status, table && reply.status === 200 ? table.body(reply.body) : reply.body, headers);
    }
  }
}

/** The `request` listener of the API server's HTTPS servers. */
export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    let user = '-';
    if (deps.accessLog) {
      res.once('close', () => process.stdout.write(`apiserver: ${req.method} ${req.url} ${res.statusCode} ${user} ${Date.now() - started}ms\n`));
    }
    const run = async (): Promise<void> => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'https://apiserver.invalid');
      } catch {
        throw notFoundError();
      }
      const route = matchRoute(url.pathname);
      if (!PUBLIC_ROUTES.has(route.kind)) user = deps.ctx.auth.authenticate(req.headers.authorization).username;
      await dispatch(deps, req, res, route, url.searchParams);
    };
    run().catch((err: unknown) => {
      if (err instanceof ApiError) {
        sendError(res, err);
        return;
      }
      process.stderr.write(`apiserver: ${req.method} ${req.url} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      sendError(res, internalError('an internal error occurred while handling the request'));
    }).catch(() => res.destroy());
  };
}
