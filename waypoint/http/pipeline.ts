// The request pipeline, in one place and in order: parse (path normalized) → x-request-id →
// security (JWT authentication, then authorization: 401 / 403) → route selection →
// redirect / direct response → fault (delay, then abort) → route request headers → weighted
// backend → backend request headers → rewrite → mirrors → upstream attempts with retries inside the
// route timeout → response (backend then route header mutations) streamed back. Trace headers
// (traceparent/tracestate, b3, x-b3-*) pass untouched. Every failure is answered by errors.ts.

import { randomUUID } from 'node:crypto';
import type { Backend, Route, RouteMatch, WeightedBackend } from '../../pkg/api/waypoint-types';
import type { Logger } from '../../pkg/log/logger';
import { decideFault } from '../routing/fault';
import { applyHeaderMutation, redirectLocation, rewritePath } from '../routing/filters';
import { selectRoute } from '../routing/match';
import { pickWeighted } from '../routing/weighted';
import type { Endpoint, StreamTarget, WaypointView } from '../state/view';
import { RESPONSE_FLAGS } from '../telemetry/labels';
import { hashKeyFor } from '../upstream/balancer';
import type { UpstreamRequestSpec } from '../upstream/attempt';
import type { BackendRegistry } from '../upstream/backend-state';
import { ReplayableBody } from './body';
import { sendFailure, sendLocal, sendRedirect, type DownstreamResponse, type Failure } from './errors';
import type { Exchange } from './exchange';
import { forward } from './forward';
import { headerValue } from './headers';
import { sendMirror } from './mirror';
import { parseIncoming, requestView, splitAuthority, type DownstreamRequest, type IncomingRequest } from './request-info';
import { relayResponse } from './respond';
import type { SecurityRuntime } from './security-step';
import type { Peer } from './stream-proxy';
import { workloadBackend } from './targets';

export interface PipelineDeps {
  readonly view: WaypointView;
  readonly backends: BackendRegistry;
  readonly logger: Logger;
  readonly random: () => number;
  readonly now: () => number;
  readonly draining: () => boolean;
  /** L7 security (absent: no normalization, no policy — unit tests of routing only). */
  readonly security?: SecurityRuntime;
}

export interface StreamInfo {
  readonly target: StreamTarget;
  readonly peer: Peer;
}

const ROUTE_TIMEOUT = 'route-timeout';

function upstreamProtocol(target: StreamTarget, r: IncomingRequest): 'h1' | 'h2' {
  if (r.grpc) return 'h2'; // gRPC needs HTTP/2 trailers whatever the port says
  const p = target.kind === 'service' ? target.routes.protocol : target.protocol;
  if (p === 'HTTP2' || p === 'GRPC') return 'h2';
  if (p === 'HTTP11') return 'h1';
  return r.h2 ? 'h2' : 'h1';
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function handleRequest(deps: PipelineDeps, info: StreamInfo, req: DownstreamRequest, res: DownstreamResponse, ex: Exchange): Promise<void> {
  // The client is gone when its stream closes before the response was handed over (HTTP/2: a
  // stream that closes with a reset code; a trailers-only answer never 'finish'es the compat API).
  let finished = false;
  res.once('finish', () => { finished = true; });
  const gone = new AbortController();
  res.once('close', () => {
    const h2Clean = 'stream' in res && res.stream.rstCode === 0;
    if (!finished && !h2Clean) gone.abort('downstream');
  });
  try {
    await run(deps, info, req, res, ex, gone.signal);
  } catch (err) {
    deps.logger.error(`waypoint: request failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) res.destroy(); // mid-response: the client must not take a cut body for a whole one
    else fail(res, ex, deps, { reason: 'upstream_reset' });
  } finally {
    ex.finish();
  }
}

function fail(res: DownstreamResponse, ex: Exchange, deps: PipelineDeps, failure: Failure): void {
  const sent = sendFailure(res, failure, ex.request?.grpc ?? false, deps.draining());
  ex.status = sent.status;
  ex.grpcStatus = sent.grpcStatus;
  ex.responseBytes += sent.bytes;
  ex.reason = failure.reason;
  ex.flag(sent.flag);
}

async function run(deps: PipelineDeps, info: StreamInfo, req: DownstreamRequest, res: DownstreamResponse, ex: Exchange, gone: AbortSignal): Promise<void> {
  const parsed = parseIncoming(req, deps.security?.mode() ?? 'NONE');
  if (!parsed.ok) return fail(res, ex, deps, { reason: 'bad_request', status: parsed.status, detail: parsed.why });
  const r = parsed.request;
  ex.request = r;
  if (typeof r.headers['x-request-id'] !== 'string' || r.headers['x-request-id'] === '') r.headers['x-request-id'] = randomUUID();
  const { target } = info;
  if (deps.security) {
    const refused = await deps.security.check(info.peer, target, r, ex, gone);
    if (gone.aborted) return ex.flag(RESPONSE_FLAGS.downstreamDisconnect);
    if (refused) return fail(res, ex, deps, refused);
  }

  // Route selection; no match → the Service's default backend with no filters.
  const sel = target.kind === 'service' ? selectRoute(target.routes.routes, requestView(r)) : undefined;
  const route: Route | undefined = sel?.route;
  const match: RouteMatch | undefined = sel?.match;
  if (route) ex.routeName = route.name;
  if (route?.redirect) {
    const { host, port } = splitAuthority(r.authority);
    const location = redirectLocation({ scheme: 'http', host, port: port ?? target.port, path: r.path, query: r.query }, match, route.redirect);
    sendRedirect(res, route.redirect.statusCode, location, deps.draining());
    ex.status = route.redirect.statusCode;
    return;
  }
  if (route?.directResponse) {
    const d = route.directResponse;
    ex.responseBytes += sendLocal(res, d.status, d.body, {}, deps.draining());
    ex.status = d.status;
    return;
  }

  const fault = decideFault(route?.fault, deps.random);
  if (fault.delayMs > 0) {
    ex.flag(RESPONSE_FLAGS.delayInjected);
    if (!(await sleep(fault.delayMs, gone))) return ex.flag(RESPONSE_FLAGS.downstreamDisconnect);
  }
  if (fault.abort) {
    return fail(res, ex, deps, {
      reason: 'fault_abort',
      ...(fault.abort.httpStatus !== undefined ? { status: fault.abort.httpStatus } : {}),
      ...(fault.abort.grpcStatus !== undefined ? { grpcStatus: fault.abort.grpcStatus } : {}),
    });
  }
  applyHeaderMutation(r.headers, route?.requestHeaders);

  // Backend: weighted pick among the route's backends, or the default backend.
  let backend: Backend | undefined;
  let wb: WeightedBackend | undefined;
  let endpoints: () => readonly Endpoint[];
  if (target.kind === 'service') {
    if (route) {
      wb = pickWeighted(route.backends, deps.random);
      if (!wb) return fail(res, ex, deps, { reason: 'no_route' });
    }
    const name = wb ? wb.backend : target.routes.defaultBackend;
    backend = deps.view.backend(name);
    ex.backendName = name;
    if (!backend) return fail(res, ex, deps, { reason: 'no_cluster', detail: name });
    const b = backend;
    endpoints = () => deps.view.endpoints(b);
  } else {
    backend = workloadBackend(target.endpoint, target.port);
    ex.backendName = backend.name;
    const only = [target.endpoint];
    endpoints = () => only;
  }
  applyHeaderMutation(r.headers, wb?.requestHeaders);

  let path = r.query ? `${r.path}?${r.query}` : r.path;
  if (route?.rewrite?.path) path = rewritePath(r.path, r.query, match, route.rewrite.path);
  const authority = route?.rewrite?.hostname ?? r.authority;
  const protocol = upstreamProtocol(target, r);
  const request: UpstreamRequestSpec = { method: r.method, path, authority, headers: r.headers };

  const mirrors = (route?.mirrors ?? []).filter((m) => deps.random() * 100 < m.percent);
  const body = new ReplayableBody(r.hasBody ? req : undefined, mirrors.length > 0);
  ex.countRequestBody(() => body.bytes);
  for (const m of mirrors) {
    const mb = deps.view.backend(m.backend);
    if (!mb) continue;
    const copy: UpstreamRequestSpec = { ...request, headers: { ...request.headers } };
    body.onComplete((bytes) => {
      if (bytes === undefined) return;
      sendMirror({
        state: deps.backends.stateFor(mb), endpoints: deps.view.endpoints(mb), protocol, request: copy, body: bytes,
        ...(route?.timeoutMs !== undefined ? { timeoutMs: route.timeoutMs } : {}),
        random: deps.random, now: deps.now, logger: deps.logger,
      });
    });
  }

  // Upstream, inside the route timeout.
  const routeCtl = new AbortController();
  const onGone = (): void => routeCtl.abort('downstream');
  gone.addEventListener('abort', onGone, { once: true });
  const timer = route?.timeoutMs !== undefined && route.timeoutMs > 0 ? setTimeout(() => routeCtl.abort(ROUTE_TIMEOUT), route.timeoutMs) : undefined;
  try {
    const state = deps.backends.stateFor(backend);
    const hashKey = hashKeyFor(backend.lb.hash, { header: (n) => headerValue(r.headers, n), query: r.query, sourceIp: info.peer.address });
    const result = await forward({
      state, endpoints, protocol, request, body, ...(route?.retry ? { retry: route.retry } : {}), ...(hashKey !== undefined ? { hashKey } : {}),
      signal: routeCtl.signal, random: deps.random, now: deps.now, logger: deps.logger,
    });
    ex.attempts = result.attempts;
    if (result.endpoint) ex.endpoint = result.endpoint;
    if (result.kind === 'aborted') {
      if (routeCtl.signal.reason === ROUTE_TIMEOUT) fail(res, ex, deps, { reason: 'upstream_timeout' });
      else ex.flag(RESPONSE_FLAGS.downstreamDisconnect);
      return;
    }
    if (result.kind === 'failure') {
      if (result.retriesExhausted) ex.flag(RESPONSE_FLAGS.retriesExhausted);
      return fail(res, ex, deps, { reason: result.reason, ...(result.detail ? { detail: result.detail } : {}) });
    }
    if (result.retriesExhausted) ex.flag(RESPONSE_FLAGS.retriesExhausted);
    const relayed = await relayResponse(res, result.response, {
      mutations: [wb?.responseHeaders, route?.responseHeaders], draining: deps.draining(), signal: routeCtl.signal,
    });
    result.done();
    ex.status = relayed.status;
    ex.grpcStatus = relayed.grpcStatus;
    ex.responseBytes += relayed.bytes;
    if (relayed.outcome === 'upstream-reset') ex.flag(RESPONSE_FLAGS.upstreamReset);
    else if (relayed.outcome === 'downstream-gone') ex.flag(RESPONSE_FLAGS.downstreamDisconnect);
    else if (relayed.outcome === 'aborted') ex.flag(routeCtl.signal.reason === ROUTE_TIMEOUT ? RESPONSE_FLAGS.timeout : RESPONSE_FLAGS.downstreamDisconnect);
    else if (relayed.outcome === 'invalid-response') fail(res, ex, deps, { reason: 'upstream_protocol_error' });
  } finally {
    if (timer) clearTimeout(timer);
    gone.removeEventListener('abort', onGone);
  }
}
