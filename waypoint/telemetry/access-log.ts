// The access-log line a waypoint writes once per HTTP request (and once per L4 connection), in the
// key=value style of ztunnel's access log: values that may hold spaces, quotes, control characters
// or client-supplied text are JSON-quoted (no log injection), long ones are cut, absent ones are
// left out. Pure formatting.

export interface RequestLogFields {
  /** Client `ip:port` (the HBONE peer or its forwarded address). */
  readonly srcAddr: string;
  /** SPIFFE URI of the client, when authenticated. */
  readonly srcIdentity?: string;
  readonly method: string;
  readonly authority: string;
  /** Path and query as the client sent them. */
  readonly path: string;
  /** HTTP/1.1 or HTTP/2. */
  readonly protocol: string;
  /** 0 when no response was sent. */
  readonly status: number;
  readonly grpcStatus?: string;
  /** Envoy response flags ('-' for none). */
  readonly flags: string;
  readonly durationMs: number;
  /** `ip:port` of the endpoint that answered (or was last tried). */
  readonly upstream?: string;
  readonly route?: string;
  readonly backend?: string;
  readonly attempts: number;
  readonly requestId?: string;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Why the request failed, for failures. */
  readonly reason?: string;
  /** The verified JWT's principal (request.auth.principal). */
  readonly authPrincipal?: string;
  /** Why a JWT was refused. */
  readonly jwtFailure?: string;
  /** allow / deny, when AuthorizationPolicies applied; the deciding policy. */
  readonly authzResult?: string;
  readonly authzPolicy?: string;
  readonly authzDryRunResult?: string;
  readonly authzDryRunPolicy?: string;
  /** AUDIT policies that matched, comma-separated. */
  readonly authzAudit?: string;
}

export interface ConnectionLogFields {
  readonly srcAddr: string;
  readonly srcIdentity?: string;
  readonly authority: string;
  readonly upstream?: string;
  readonly backend?: string;
  readonly flags: string;
  readonly durationMs: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly error?: string;
}

const SAFE_RE = /^[A-Za-z0-9._:\-[\]/,]+$/;
const MAX_VALUE = 512;

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}...` : text);
}

function value(text: string): string {
  return SAFE_RE.test(text) && text.length <= MAX_VALUE ? text : quote(text);
}

class Line {
  private readonly parts: string[];

  constructor(head: string) {
    this.parts = [head];
  }

  add(name: string, text: string | number | undefined, quoted = false): this {
    if (text === undefined || text === '') return this;
    const s = String(text);
    this.parts.push(`${name}=${quoted ? quote(s) : value(s)}`);
    return this;
  }

  toString(): string {
    return this.parts.join(' ');
  }
}

function duration(ms: number): string {
  return `${Math.max(0, Math.round(ms))}ms`;
}

/** `request complete src.addr=... method=GET authority=... path="/x" status=200 flags=- ...`. */
export function formatRequestLog(f: RequestLogFields): string {
  return new Line('request complete')
    .add('src.addr', f.srcAddr)
    .add('src.identity', f.srcIdentity, true)
    .add('method', f.method)
    .add('authority', f.authority)
    .add('path', f.path, true)
    .add('protocol', f.protocol)
    .add('status', f.status)
    .add('grpc_status', f.grpcStatus)
    .add('flags', f.flags)
    .add('duration', duration(f.durationMs), true)
    .add('upstream', f.upstream)
    .add('route', f.route, true)
    .add('backend', f.backend)
    .add('attempts', f.attempts)
    .add('request_id', f.requestId)
    .add('bytes_received', f.bytesReceived)
    .add('bytes_sent', f.bytesSent)
    .add('reason', f.reason)
    .add('request.auth.principal', f.authPrincipal, true)
    .add('jwt.failure', f.jwtFailure)
    .add('authz.result', f.authzResult)
    .add('authz.policy', f.authzPolicy)
    .add('authz.dry_run_result', f.authzDryRunResult)
    .add('authz.dry_run_policy', f.authzDryRunPolicy)
    .add('authz.audit', f.authzAudit)
    .toString();
}

/** `connection complete src.addr=... authority=... upstream=... bytes_sent=... duration="12ms"`. */
export function formatConnectionLog(f: ConnectionLogFields): string {
  return new Line('connection complete')
    .add('src.addr', f.srcAddr)
    .add('src.identity', f.srcIdentity, true)
    .add('authority', f.authority)
    .add('upstream', f.upstream)
    .add('backend', f.backend)
    .add('flags', f.flags)
    .add('bytes_received', f.bytesReceived)
    .add('bytes_sent', f.bytesSent)
    .add('duration', duration(f.durationMs), true)
    .add('error', f.error, true)
    .toString();
}
