// The access-log line written once per connection when it closes, with ztunnel's field names
// (`src.addr`, `dst.hbone_addr`, `bytes_sent`, ...; `dst.waypoint` when sent through one) and, for connections that reached L4
// authorization, its outcome (`authz.result`, `authz.policy`, `authz.dry_run_result`,
// `authz.dry_run_policy`). Pure formatting: values that may hold spaces, quotes or peer-supplied
// text are JSON-quoted, absent ones are left out.

export type Direction = 'outbound' | 'inbound';

export interface AccessLogFields {
  /** Client `ip:port`. */
  readonly srcAddr: string;
  readonly srcWorkload?: string;
  readonly srcNamespace?: string;
  /** SPIFFE URI of the client, when authenticated. */
  readonly srcIdentity?: string;
  /** Where the proxy sent the connection: `podIP:15008` for HBONE, the target otherwise. */
  readonly dstAddr: string;
  /** The CONNECT `:authority` for HBONE. */
  readonly dstHboneAddr?: string;
  readonly dstService?: string;
  readonly dstWorkload?: string;
  readonly dstNamespace?: string;
  readonly dstIdentity?: string;
  /** `<ns>/<name>` of the waypoint the connection was sent through (or refused for). */
  readonly dstWaypoint?: string;
  readonly direction: Direction;
}

/**
 * What L4 authorization decided for the connection (the latest verdict: a re-check that closed an
 * admitted connection replaces its "allow").
 */
export interface AccessLogAuthz {
  readonly result: 'allow' | 'deny';
  /** `ns/name` of the deciding policy, when one decided. */
  readonly policy?: string;
  /** Set when the connection was allowed but a dry-run policy would have denied it. */
  readonly dryRunDeny?: { readonly policy?: string };
}

export interface AccessLogResult {
  /** Bytes carried toward the destination (the request direction). */
  readonly bytesSent: number;
  /** Bytes carried back to the client (the response direction). */
  readonly bytesRecv: number;
  readonly durationMs: number;
  readonly error?: string;
  /** Absent for connections refused before authorization (bad target, unknown workload) and outbound ones. */
  readonly authz?: AccessLogAuthz;
}

const SAFE_RE = /^[A-Za-z0-9._:\-[\]/]+$/;

function value(text: string): string {
  return SAFE_RE.test(text) ? text : JSON.stringify(text);
}

/** `connection complete src.addr=... direction="inbound" bytes_sent=... duration="12ms" authz.result="allow"`. */
export function formatAccessLog(fields: AccessLogFields, result: AccessLogResult): string {
  const parts = ['connection complete'];
  const add = (name: string, text: string | undefined, quoted = false): void => {
    if (text === undefined || text === '') return;
    parts.push(`${name}=${quoted ? JSON.stringify(text) : value(text)}`);
  };
  add('src.addr', fields.srcAddr);
  add('src.workload', fields.srcWorkload);
  add('src.namespace', fields.srcNamespace);
  add('src.identity', fields.srcIdentity, true);
  add('dst.addr', fields.dstAddr);
  add('dst.hbone_addr', fields.dstHboneAddr);
  add('dst.service', fields.dstService);
  add('dst.workload', fields.dstWorkload);
  add('dst.namespace', fields.dstNamespace);
  add('dst.identity', fields.dstIdentity, true);
  add('dst.waypoint', fields.dstWaypoint);
  add('direction', fields.direction, true);
  parts.push(`bytes_sent=${result.bytesSent}`);
  parts.push(`bytes_recv=${result.bytesRecv}`);
  parts.push(`duration="${Math.max(0, Math.round(result.durationMs))}ms"`);
  const { authz } = result;
  if (authz) {
    add('authz.result', authz.result, true);
    add('authz.policy', authz.policy, true);
    if (authz.dryRunDeny) {
      add('authz.dry_run_result', 'deny', true);
      add('authz.dry_run_policy', authz.dryRunDeny.policy, true);
    }
  }
  add('error', result.error, true);
  return parts.join(' ');
}
