// The access-log line written once per connection when it closes, with ztunnel's field names
// (`src.addr`, `dst.hbone_addr`, `bytes_sent`, ...). Pure formatting: values that may hold spaces,
// quotes or peer-supplied text are JSON-quoted, absent ones are left out.

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
  readonly direction: Direction;
}

export interface AccessLogResult {
  /** Bytes carried toward the destination (the request direction). */
  readonly bytesSent: number;
  /** Bytes carried back to the client (the response direction). */
  readonly bytesRecv: number;
  readonly durationMs: number;
  readonly error?: string;
}

const SAFE_RE = /^[A-Za-z0-9._:\-[\]/]+$/;

function value(text: string): string {
  return SAFE_RE.test(text) ? text : JSON.stringify(text);
}

/** `connection complete src.addr=... direction="outbound" bytes_sent=... duration="12ms"`. */
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
  add('direction', fields.direction, true);
  parts.push(`bytes_sent=${result.bytesSent}`);
  parts.push(`bytes_recv=${result.bytesRecv}`);
  parts.push(`duration="${Math.max(0, Math.round(result.durationMs))}ms"`);
  add('error', result.error, true);
  return parts.join(' ');
}
