// The bookkeeping of one request as it moves through the pipeline — route and backend chosen,
// endpoint tried, attempts, response flags, status and bytes — and its single end: metrics and the
// access-log line written once (finish is idempotent), and the proxy's in-flight count released.

import type { Peer } from './stream-proxy';
import { formatFlags, requestLabels, type ResponseFlag, type ServiceMeta, type SourceMeta } from '../telemetry/labels';
import type { RequestTelemetry } from '../telemetry/request-metrics';
import type { Endpoint } from '../state/view';
import { endpointAddress } from '../upstream/tunnel';
import type { IncomingRequest } from './request-info';
import type { AuthzDecision } from '../security/authz';

/** What the security step decided, for the access log. */
export interface SecurityNotes {
  /** The verified JWT's "<iss>/<sub>". */
  principal?: string;
  /** Why a JWT was refused. */
  jwtFailure?: string;
  authz?: AuthzDecision;
}

export interface ExchangeContext {
  readonly telemetry: RequestTelemetry;
  readonly now: () => number;
  readonly peer: Peer;
  readonly source: SourceMeta;
  readonly service?: ServiceMeta;
  /** Called once when the exchange is over. */
  readonly onDone: () => void;
}

function securityLogFields(s: SecurityNotes): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.principal) out.authPrincipal = s.principal;
  if (s.jwtFailure) out.jwtFailure = s.jwtFailure;
  const a = s.authz;
  if (a) {
    out.authzResult = a.allowed ? 'allow' : 'deny';
    if (a.policy) out.authzPolicy = a.policy;
    if (a.dryRun) {
      out.authzDryRunResult = a.dryRun.allowed ? 'allow' : 'deny';
      if (a.dryRun.policy) out.authzDryRunPolicy = a.dryRun.policy;
    }
    if (a.audited.length > 0) out.authzAudit = a.audited.join(',');
  }
  return out;
}

export class Exchange {
  readonly startedAt: number;
  request?: IncomingRequest;
  routeName?: string;
  backendName?: string;
  endpoint?: Endpoint;
  attempts = 0;
  status = 0;
  grpcStatus = '';
  /** Body (and header) bytes sent to the client. */
  responseBytes = 0;
  reason?: string;
  readonly security: SecurityNotes = {};
  private readonly flags: ResponseFlag[] = [];
  private requestBodyBytes: () => number = () => 0;
  private done = false;

  constructor(private readonly ctx: ExchangeContext, readonly h2: boolean) {
    this.startedAt = ctx.now();
  }

  flag(f: ResponseFlag): void {
    this.flags.push(f);
  }

  /** Where the request-body byte count comes from (read lazily at the end). */
  countRequestBody(bytes: () => number): void {
    this.requestBodyBytes = bytes;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    const { ctx } = this;
    const r = this.request;
    const grpc = r?.grpc ?? false;
    const durationMs = ctx.now() - this.startedAt;
    const requestBytes = (r?.headerBytes ?? 0) + this.requestBodyBytes();
    const flags = formatFlags(this.flags);
    try {
      ctx.telemetry.record({
        labels: requestLabels({
          source: ctx.source,
          ...(ctx.service ? { service: ctx.service } : {}),
          ...(this.endpoint ? { endpoint: this.endpoint } : {}),
          grpc,
          status: this.status,
          grpcStatus: this.grpcStatus,
          flags: this.flags,
        }),
        durationMs,
        requestBytes,
        responseBytes: this.responseBytes,
        log: {
          srcAddr: `${ctx.peer.address}:${ctx.peer.port}`,
          ...(ctx.peer.identity ? { srcIdentity: ctx.peer.identity } : {}),
          method: r?.method ?? '-',
          authority: r?.authority ?? '-',
          path: r ? (r.query ? `${r.path}?${r.query}` : r.path) : '-',
          protocol: this.h2 ? 'HTTP/2' : 'HTTP/1.1',
          status: this.status,
          ...(grpc && this.grpcStatus ? { grpcStatus: this.grpcStatus } : {}),
          flags,
          durationMs,
          ...(this.endpoint ? { upstream: endpointAddress(this.endpoint) } : {}),
          ...(this.routeName ? { route: this.routeName } : {}),
          ...(this.backendName ? { backend: this.backendName } : {}),
          attempts: this.attempts,
          ...(typeof r?.headers['x-request-id'] === 'string' ? { requestId: r.headers['x-request-id'] } : {}),
          bytesReceived: requestBytes,
          bytesSent: this.responseBytes,
          ...(this.reason ? { reason: this.reason } : {}),
          ...securityLogFields(this.security),
        },
      });
    } finally {
      ctx.onDone();
    }
  }
}
