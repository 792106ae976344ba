// The one place where the waypoint answers a request itself: proxy failures (no healthy upstream,
// overflow, connect failure, reset, timeout, fault abort, no route, a malformed request) and
// security refusals (403 RBAC denial, 401 bad JWT — bodies that name no policy) become
// Envoy-like responses with `x-ambit-reason: <token>` and `server: ambit-waypoint` — for gRPC
// requests a trailers-only response (HTTP 200, grpc-status, grpc-message) — and route answers
// (redirects, direct responses) are written the same way. The failure catalogue maps each reason
// to its status, gRPC status, Envoy response flag and message.

import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { RESPONSE_FLAGS, type ResponseFlag } from '../telemetry/labels';

export type DownstreamResponse = ServerResponse | Http2ServerResponse;

export const SERVER_HEADER = 'ambit-waypoint';
export const REASON_HEADER = 'x-ambit-reason';

export const FAILURES = {
  no_healthy_upstream: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.noHealthyUpstream, message: 'no healthy upstream' },
  upstream_overflow: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.overflow, message: 'upstream overflow' },
  connect_failure: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.connectFailure, message: 'upstream connect error' },
  upstream_reset: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.upstreamReset, message: 'upstream reset before response started' },
  upstream_protocol_error: { status: 502, grpc: 14, flag: RESPONSE_FLAGS.upstreamProtocolError, message: 'upstream sent an invalid response' },
  upstream_timeout: { status: 504, grpc: 4, flag: RESPONSE_FLAGS.timeout, message: 'upstream request timeout' },
  fault_abort: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.faultAbort, message: 'fault filter abort' },
  no_route: { status: 500, grpc: 13, flag: RESPONSE_FLAGS.noRoute, message: 'route has no backends' },
  no_cluster: { status: 503, grpc: 14, flag: RESPONSE_FLAGS.noCluster, message: 'backend not found' },
  bad_request: { status: 400, grpc: 13, flag: RESPONSE_FLAGS.downstreamProtocolError, message: 'bad request' },
  rbac_denied: { status: 403, grpc: 7, flag: RESPONSE_FLAGS.denied, message: 'RBAC: access denied' },
  jwt_invalid: { status: 401, grpc: 16, flag: RESPONSE_FLAGS.unauthenticated, message: 'Jwt verification fails' },
} as const;

export type FailureReason = keyof typeof FAILURES;

export interface Failure {
  readonly reason: FailureReason;
  /** Overrides the catalogue's status (fault abort with a configured status). */
  readonly status?: number;
  /** Overrides the gRPC status (fault abort with a configured gRPC status). */
  readonly grpcStatus?: number;
  /** More detail for the body (and the access log). */
  readonly detail?: string;
  /** Extra response headers (`www-authenticate` for a 401). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What was sent, for telemetry. */
export interface LocalReplyResult {
  readonly status: number;
  /** gRPC status as text, '' when not gRPC. */
  readonly grpcStatus: string;
  readonly flag: ResponseFlag;
  readonly bytes: number;
}

/** Envoy's HTTP → gRPC status mapping (for an HTTP fault status on a gRPC request). */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

function closeIfDraining(headers: Record<string, string>, draining: boolean, h2: boolean): void {
  if (draining && !h2) headers.connection = 'close';
}

/** Answers a failure; returns what was sent (nothing is sent when the response already started). */
export function sendFailure(res: DownstreamResponse, failure: Failure, grpc: boolean, draining = false): LocalReplyResult {
  const entry = FAILURES[failure.reason];
  const status = failure.status ?? entry.status;
  // A client that sent a malformed request does not get to send another on this connection.
  if (failure.reason === 'bad_request') draining = true;
  const body = failure.detail ? `${entry.message}: ${failure.detail}` : entry.message;
  if (grpc) {
    const code = failure.grpcStatus ?? (failure.status !== undefined ? grpcStatusForHttp(failure.status) : entry.grpc);
    sendTrailersOnly(res, code, body, { ...failure.headers, [REASON_HEADER]: failure.reason }, draining);
    return { status: 200, grpcStatus: String(code), flag: entry.flag, bytes: 0 };
  }
  const bytes = sendLocal(res, status, body, { ...failure.headers, [REASON_HEADER]: failure.reason }, draining);
  return { status, grpcStatus: '', flag: entry.flag, bytes };
}

/** Writes a small local response (errors, direct responses, redirects); returns body bytes written. */
export function sendLocal(res: DownstreamResponse, status: number, body: string, extra: Record<string, string>, draining = false): number {
  if (res.headersSent || res.writableEnded || res.destroyed) return 0;
  const payload = Buffer.from(body);
  const headers: Record<string, string> = {
    ...extra,
    server: SERVER_HEADER,
    'content-type': 'text/plain',
    'content-length': String(payload.length),
  };
  closeIfDraining(headers, draining, isH2Response(res));
  try {
    res.writeHead(status, headers);
    res.end(payload);
  } catch {
    res.destroy();
    return 0;
  }
  return payload.length;
}

/** A redirect answer (no body). */
export function sendRedirect(res: DownstreamResponse, status: number, location: string, draining = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { location, server: SERVER_HEADER, 'content-length': '0' };
  closeIfDraining(headers, draining, isH2Response(res));
  try {
    res.writeHead(status, headers);
    res.end();
  } catch {
    res.destroy();
  }
}

function isH2Response(res: DownstreamResponse): res is Http2ServerResponse {
  return 'stream' in res;
}

/** A gRPC trailers-only response: one HEADERS frame with END_STREAM on HTTP/2. */
export function sendTrailersOnly(res: DownstreamResponse, code: number, message: string, extra: Record<string, string>, draining = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = {
    ...extra,
    server: SERVER_HEADER,
    'content-type': 'application/grpc',
    'grpc-status': String(code),
    'grpc-message': encodeURIComponent(message),
  };
  try {
    if (isH2Response(res)) {
      if (res.stream.destroyed || res.stream.headersSent) return;
      res.stream.respond({ ':status': 200, ...headers }, { endStream: true });
      return;
    }
    closeIfDraining(headers, draining, false);
    res.writeHead(200, { ...headers, 'content-length': '0' });
    res.end();
  } catch {
    res.destroy();
  }
}
