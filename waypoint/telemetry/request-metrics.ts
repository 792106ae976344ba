// Istio's standard request metrics in the waypoint's registry, recorded once per finished request
// together with its access-log line: istio_requests_total (counter), and the histograms
// istio_request_duration_milliseconds, istio_request_bytes and istio_response_bytes (`_bucket`,
// `_sum`, `_count`). Bytes are headers (as name/value text) plus body. L4 connections relayed by the
// waypoint count in istio_tcp_connections_{opened,closed}_total and istio_tcp_{received,sent}_bytes_total.

import type { Logger } from '../../pkg/log/logger';
import type { Counter, Histogram, Registry } from '../../pkg/telemetry/metrics';
import { formatConnectionLog, formatRequestLog, type ConnectionLogFields, type RequestLogFields } from './access-log';
import { REQUEST_LABEL_NAMES, UNKNOWN, type RequestLabels, type ServiceMeta, type SourceMeta } from './labels';
import type { Endpoint } from '../state/view';

export const REQUEST_METRIC_NAMES = {
  requests: 'istio_requests_total',
  duration: 'istio_request_duration_milliseconds',
  requestBytes: 'istio_request_bytes',
  responseBytes: 'istio_response_bytes',
  tcpOpened: 'istio_tcp_connections_opened_total',
  tcpClosed: 'istio_tcp_connections_closed_total',
  tcpReceived: 'istio_tcp_received_bytes_total',
  tcpSent: 'istio_tcp_sent_bytes_total',
} as const;

/** Envoy's default histogram buckets (milliseconds). */
export const DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Powers of ten from 1 B to 1 GB. */
export const SIZE_BUCKETS_BYTES = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

export const TCP_LABEL_NAMES = REQUEST_LABEL_NAMES.filter((n) => n !== 'response_code' && n !== 'grpc_response_status');

export interface RequestRecord {
  readonly labels: RequestLabels;
  readonly log: RequestLogFields;
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

export interface ConnectionLabelInput {
  readonly source: SourceMeta;
  readonly service?: ServiceMeta;
  readonly endpoint?: Endpoint;
  readonly flags: string;
}

export class RequestTelemetry {
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly requestBytes: Histogram;
  private readonly responseBytes: Histogram;
  private readonly tcpOpened: Counter;
  private readonly tcpClosed: Counter;
  private readonly tcpReceived: Counter;
  private readonly tcpSent: Counter;

  constructor(registry: Registry, private readonly logger: Logger) {
    const names = REQUEST_LABEL_NAMES;
    const n = REQUEST_METRIC_NAMES;
    this.requests = registry.counter(n.requests, 'Total number of requests handled by the waypoint', names);
    this.duration = registry.histogram(n.duration, 'Request duration in milliseconds', names, DURATION_BUCKETS_MS);
    this.requestBytes = registry.histogram(n.requestBytes, 'Request size (headers and body) in bytes', names, SIZE_BUCKETS_BYTES);
    this.responseBytes = registry.histogram(n.responseBytes, 'Response size (headers and body) in bytes', names, SIZE_BUCKETS_BYTES);
    this.tcpOpened = registry.counter(n.tcpOpened, 'The total number of TCP connections opened', TCP_LABEL_NAMES);
    this.tcpClosed = registry.counter(n.tcpClosed, 'The total number of TCP connections closed', TCP_LABEL_NAMES);
    this.tcpReceived = registry.counter(n.tcpReceived, 'The size of total bytes received during request in case of a TCP connection', TCP_LABEL_NAMES);
    this.tcpSent = registry.counter(n.tcpSent, 'The size of total bytes sent during response in case of a TCP connection', TCP_LABEL_NAMES);
  }

  /** Counts one finished request and writes its access-log line. */
  record(r: RequestRecord): void {
    this.requests.inc(r.labels);
    this.duration.observe(r.labels, Math.max(0, r.durationMs));
    this.requestBytes.observe(r.labels, r.requestBytes);
    this.responseBytes.observe(r.labels, r.responseBytes);
    this.logger.info(formatRequestLog(r.log));
  }

  /** Counts an L4 connection as opened (once its endpoint is known); call the returned function once it has closed. */
  connectionOpened(input: ConnectionLabelInput): (log: ConnectionLogFields) => void {
    const base = tcpLabels(input);
    this.tcpOpened.inc(base);
    let done = false;
    return (log) => {
      if (done) return;
      done = true;
      const labels = log.flags === input.flags ? base : { ...base, response_flags: log.flags };
      this.tcpClosed.inc(labels);
      this.tcpReceived.inc(labels, log.bytesReceived);
      this.tcpSent.inc(labels, log.bytesSent);
      this.logger.info(formatConnectionLog(log));
    };
  }
}

function tcpLabels(input: ConnectionLabelInput): Record<string, string> {
  const ep = input.endpoint;
  const or = (v: string | undefined): string => (v ? v : UNKNOWN);
  return {
    reporter: 'waypoint',
    source_workload: input.source.workload,
    source_workload_namespace: input.source.namespace,
    source_principal: input.source.principal,
    destination_workload: or(ep?.workloadName),
    destination_workload_namespace: or(ep?.namespace),
    destination_principal: or(ep?.identity),
    destination_service: or(input.service?.hostname),
    destination_service_name: or(input.service?.name),
    destination_service_namespace: or(input.service?.namespace),
    destination_canonical_service: or(ep?.canonicalName),
    destination_version: or(ep?.canonicalRevision),
    request_protocol: 'tcp',
    response_flags: input.flags,
    connection_security_policy: 'mutual_tls',
  };
}
