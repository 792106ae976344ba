// Istio's standard TCP metrics in the node agent's registry and the per-connection record that
// feeds them: opened when the connection is handled, closed with its byte counts when it ends,
// failed (with a response flag) when it could not be made, and one access-log line on close
// (carrying the authorization outcome the proxy attached to the record, if any).

import type { Logger } from '../../pkg/log/logger';
import type { Counter, Registry } from '../../pkg/telemetry/metrics';
import { formatAccessLog, type AccessLogAuthz, type AccessLogFields } from './access-log';
import { RESPONSE_FLAGS, TCP_LABEL_NAMES, withFlag, type ResponseFlag, type TcpLabels } from './labels';

export const TCP_METRIC_NAMES = {
  opened: 'istio_tcp_connections_opened_total',
  closed: 'istio_tcp_connections_closed_total',
  sent: 'istio_tcp_sent_bytes_total',
  received: 'istio_tcp_received_bytes_total',
  failed: 'istio_tcp_connections_failed_total',
} as const;

export interface ConnectionOutcome {
  /** Bytes client → server (request direction). */
  readonly received: number;
  /** Bytes server → client (response direction). */
  readonly sent: number;
  /** Why the connection failed or ended abnormally (logged). */
  readonly error?: string;
  /** Set when the connection could not be made: counts in istio_tcp_connections_failed_total. */
  readonly flag?: ResponseFlag;
}

/** One connection as telemetry sees it; `finish` is idempotent (the first call wins). */
export interface ConnectionRecord {
  readonly labels: TcpLabels;
  /** The authorization outcome for the access log; a later call (a re-check) replaces an earlier one. */
  authorized(authz: AccessLogAuthz): void;
  finish(outcome: ConnectionOutcome): void;
}

export class TcpTelemetry {
  private readonly opened: Counter;
  private readonly closed: Counter;
  private readonly sentBytes: Counter;
  private readonly receivedBytes: Counter;
  private readonly failed: Counter;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const names = TCP_LABEL_NAMES;
    this.opened = registry.counter(TCP_METRIC_NAMES.opened, 'The total number of TCP connections opened', names);
    this.closed = registry.counter(TCP_METRIC_NAMES.closed, 'The total number of TCP connections closed', names);
    this.sentBytes = registry.counter(TCP_METRIC_NAMES.sent, 'The size of total bytes sent during response in case of a TCP connection', names);
    this.receivedBytes = registry.counter(
      TCP_METRIC_NAMES.received,
      'The size of total bytes received during request in case of a TCP connection',
      names,
    );
    this.failed = registry.counter(TCP_METRIC_NAMES.failed, 'The total number of TCP connections that failed to establish (unstable)', names);
  }

  /** Counts the connection as opened; the record closes it. */
  open(labels: TcpLabels, log: AccessLogFields): ConnectionRecord {
    const started = this.now();
    this.opened.inc(labels);
    let done = false;
    let authz: AccessLogAuthz | undefined;
    return {
      labels,
      authorized: (outcome: AccessLogAuthz): void => {
        if (!done) authz = outcome;
      },
      finish: (outcome: ConnectionOutcome): void => {
        if (done) return;
        done = true;
        this.closed.inc(labels);
        if (outcome.received > 0) this.receivedBytes.inc(labels, outcome.received);
        if (outcome.sent > 0) this.sentBytes.inc(labels, outcome.sent);
        if (outcome.flag !== undefined && outcome.flag !== RESPONSE_FLAGS.none) this.failed.inc(withFlag(labels, outcome.flag));
        const line = formatAccessLog(log, {
          bytesSent: outcome.received,
          bytesRecv: outcome.sent,
          durationMs: this.now() - started,
          ...(outcome.error !== undefined ? { error: outcome.error } : {}),
          ...(authz ? { authz } : {}),
        });
        this.logger.info(line);
      },
    };
  }
}
