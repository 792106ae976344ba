// DeltaXdsClient: one delta ADS stream to istiod (gRPC over TLS), kept open forever. Each new
// stream subscribes every handler's type (wildcard, with the versions already held), each response
// is applied through its handler and ACKed or NACKed; a broken stream is re-opened with jittered
// backoff until close(). Decisions live in delta-session.ts; this file owns the channel and timers.

import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { describeError } from '../errors/mesh-error';
import type { Logger } from '../log/logger';
import { Backoff } from './backoff';
import { decodeDeltaResponse, deltaAdsMethod } from './delta-messages';
import { handleResponse, subscriptionRequests } from './delta-session';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, TypeHandler, XdsNode } from './types';

export const DEFAULT_MAX_RECEIVE_BYTES = 200 * 1024 * 1024;
const FAILURE_LOG_INTERVAL_MS = 60_000;
const MAX_STATS_TYPES = 32;
const OTHER_TYPES = '(other types)';

export interface DeltaXdsClientOptions {
  /** `host:port` of istiod (15012). */
  readonly address: string;
  /** PEM root(s) istiod's serving certificate must chain to. */
  readonly rootsPem: string;
  /** The name istiod's certificate must carry, e.g. `istiod.istio-system.svc`. */
  readonly serverName: string;
  /** Bearer token, read again for every stream. */
  readonly token: () => Promise<string>;
  readonly clusterId: string;
  readonly node: XdsNode;
  readonly handlers: readonly TypeHandler[];
  readonly logger: Logger;
  /** Reconnect backoff; default 10 ms → 15 s, jittered, reset after a response. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Largest response accepted; default 200 MiB (what istiod may send). */
  readonly maxReceiveBytes?: number;
  /** Plaintext gRPC (tests only). */
  readonly insecure?: boolean;
}

export interface TypeStats {
  responses: number;
  nacks: number;
  /** Resources the handler holds after its last applied response. */
  resources: number;
}

export interface XdsClientStats {
  readonly connects: number;
  readonly responses: number;
  readonly nacks: number;
  readonly bytesReceived: number;
  readonly perType: Record<string, TypeStats>;
}

export interface DeltaXdsClientEvents {
  connected: [];
  disconnected: [reason: string];
  nack: [typeUrl: string, message: string];
}

type Stream = grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

export class DeltaXdsClient extends EventEmitter<DeltaXdsClientEvents> {
  /** Resolves once every handler's type has had a response applied and ACKed. */
  readonly synced: Promise<void>;
  private readonly options: DeltaXdsClientOptions;
  private readonly client: grpc.Client;
  private readonly backoff: Backoff;
  private readonly pendingSync: Set<string>;
  private resolveSynced: () => void = () => undefined;
  private stream: Stream | undefined;
  private streamUp = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private streamGone: (() => void) | undefined;
  private counters = { connects: 0, responses: 0, nacks: 0, bytesReceived: 0 };
  private readonly perType = new Map<string, TypeStats>();
  /** The last connect failure logged, so a long outage logs a line a minute, not one per attempt. */
  private lastFailure: { reason: string; at: number; suppressed: number } | undefined;

  constructor(options: DeltaXdsClientOptions) {
    super();
    this.options = options;
    this.backoff = new Backoff(options.backoff);
    this.pendingSync = new Set(options.handlers.map((h) => h.typeUrl));
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
    if (this.pendingSync.size === 0) this.resolveSynced();
    const credentials = options.insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(options.rootsPem));
    this.client = new grpc.Client(options.address, credentials, {
      ...(options.insecure ? {} : { 'grpc.ssl_target_name_override': options.serverName, 'grpc.default_authority': options.serverName }),
      'grpc.max_receive_message_length': options.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
  }

  /** Opens the first stream; later ones follow by themselves until close(). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.openStream();
  }

  /** True while a stream is open and the server has answered on it. */
  connected(): boolean {
    return this.streamUp;
  }

  stats(): XdsClientStats {
    const perType: Record<string, TypeStats> = {};
    // defineProperty: a type URL is server-chosen text, even "__proto__".
    for (const [k, v] of this.perType) Object.defineProperty(perType, k, { value: { ...v }, enumerable: true, writable: true, configurable: true });
    return { ...this.counters, perType };
  }

  /** Ends the stream and stops reconnecting; resolves when the stream is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stream = this.stream;
    if (stream) {
      const gone = new Promise<void>((resolve) => {
        this.streamGone = resolve;
      });
      stream.cancel();
      await gone;
    }
    this.client.close();
  }

  private typeStats(typeUrl: string): TypeStats {
    // Types nobody subscribed to are counted too, but a server cannot grow the table without bound.
    const key = this.perType.has(typeUrl) || this.perType.size < MAX_STATS_TYPES ? typeUrl : OTHER_TYPES;
    let s = this.perType.get(key);
    if (!s) {
      s = { responses: 0, nacks: 0, resources: 0 };
      this.perType.set(key, s);
    }
    return s;
  }

  private async openStream(): Promise<void> {
    let token: string;
    try {
      token = await this.options.token();
    } catch (err) {
      this.streamFailed(`cannot read the token: ${describeError(err)}`);
      return;
    }
    if (this.closed) return;
    const m = deltaAdsMethod;
    const deserialize = (buf: Buffer): DeltaDiscoveryResponse => {
      this.counters.bytesReceived += buf.length;
      return decodeDeltaResponse(buf);
    };
    let stream: Stream;
    try {
      const metadata = new grpc.Metadata(); // throws on a token that is not a valid header value
      metadata.set('authorization', `Bearer ${token}`);
      metadata.set('clusterid', this.options.clusterId);
      stream = this.client.makeBidiStreamRequest(m.path, m.requestSerialize, deserialize, metadata, {});
    } catch (err) {
      this.streamFailed(`cannot open the stream: ${describeError(err)}`);
      return;
    }
    this.stream = stream;
    let lastError: string | undefined;
    stream.on('metadata', () => this.markUp(stream));
    stream.on('data', (res: DeltaDiscoveryResponse) => this.onResponse(stream, res));
    stream.on('error', (err: grpc.ServiceError) => {
      lastError = `${(err.details || err.message).replace(/\s*Resolution note:\s*$/, '')} (gRPC ${grpc.status[err.code] ?? err.code})`;
    });
    stream.on('status', (status: grpc.StatusObject) => {
      const reason = lastError ?? (status.code === grpc.status.OK ? 'the server ended the stream' : `${status.details} (gRPC ${grpc.status[status.code] ?? status.code})`);
      this.onStreamEnd(stream, reason);
    });
    for (const req of subscriptionRequests(this.options.handlers, this.options.node)) stream.write(req);
  }

  private markUp(stream: Stream): void {
    if (stream !== this.stream || this.streamUp) return;
    this.streamUp = true;
    this.lastFailure = undefined;
    this.counters.connects++;
    this.options.logger.info(`xds: connected to ${this.options.address} (${this.options.handlers.length} types)`);
    this.emit('connected');
  }

  private onResponse(stream: Stream, res: DeltaDiscoveryResponse): void {
    if (stream !== this.stream || this.closed) return;
    this.markUp(stream);
    this.backoff.reset();
    this.counters.responses++;
    const stats = this.typeStats(res.typeUrl);
    stats.responses++;
    const outcome = handleResponse(this.options.handlers, res);
    stream.write(outcome.reply);
    if (outcome.handler) stats.resources = outcome.handler.versions().size;
    if (!outcome.applied) {
      const message = outcome.error ?? 'rejected';
      this.counters.nacks++;
      stats.nacks++;
      this.options.logger.warn(`xds: NACK ${res.typeUrl} nonce ${res.nonce}: ${message}`);
      this.emit('nack', res.typeUrl, message);
      return;
    }
    if (this.pendingSync.delete(res.typeUrl) && this.pendingSync.size === 0) this.resolveSynced();
  }

  private onStreamEnd(stream: Stream, reason: string): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    const wasUp = this.streamUp;
    this.streamUp = false;
    if (this.closed) {
      if (wasUp) this.options.logger.info(`xds: disconnected from ${this.options.address}: closed`);
      if (wasUp) this.emit('disconnected', 'closed');
      this.streamGone?.();
      return;
    }
    if (wasUp) {
      this.emit('disconnected', reason);
      this.scheduleReconnect(`xds: disconnected from ${this.options.address}: ${reason}`);
    } else {
      this.streamFailed(reason);
    }
  }

  private streamFailed(reason: string): void {
    if (this.closed) return;
    const last = this.lastFailure;
    const now = Date.now();
    if (last && last.reason === reason && now - last.at < FAILURE_LOG_INTERVAL_MS) {
      last.suppressed++;
      this.scheduleReconnect(undefined);
      return;
    }
    const repeats = last && last.suppressed > 0 ? ` (${last.suppressed} more failures since the last line)` : '';
    this.lastFailure = { reason, at: now, suppressed: 0 };
    this.scheduleReconnect(`xds: cannot connect to ${this.options.address}: ${reason}${repeats}`);
  }

  private scheduleReconnect(logLine: string | undefined): void {
    const delay = this.backoff.next();
    if (logLine !== undefined) this.options.logger.warn(`${logLine}; retrying in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) void this.openStream();
    }, delay);
  }
}
