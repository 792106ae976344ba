// istiod's delta ADS server (envoy.service.discovery.v3.AggregatedDiscoveryService/
// DeltaAggregatedResources) as a grpc-js service: every stream is authenticated first (requests
// arriving meanwhile are held, a few at most), then served by an XdsConnection. Source changes
// are debounced into batches; one batch refreshes the encoded resources once and lets every
// connection work out what it has to send. Responses are counted (and their encoded size
// measured) where grpc-js serializes them.

import { status, type handleBidiStreamingCall, type MethodDefinition, type ServerDuplexStream } from '@grpc/grpc-js';
import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { deltaAdsMethod } from '../../pkg/xds/delta-messages';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../pkg/xds/types';
import { describeCaller } from '../ca/authorize';
import type { GrpcService } from '../grpc-server';
import type { Authenticator } from './authenticate';
import { XdsConnection, type ConnectionContext } from './connection';
import { Debouncer, realTimers, type Batch, type DebounceSettings, type Timers } from './debounce';
import { shortType, type XdsMetrics } from './metrics';
import type { ResourceSource } from './sources';

export const ADS_SERVICE_NAME = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
/** Requests held per stream while its token is being reviewed. */
export const MAX_REQUESTS_BEFORE_AUTH = 8;
/** Unknown type URLs remembered for "log once" (beyond this, they are still answered, not logged). */
const MAX_LOGGED_UNKNOWN_TYPES = 64;

export interface XdsServerOptions {
  readonly sources: readonly ResourceSource[];
  readonly authenticator: Authenticator;
  readonly metrics: XdsMetrics;
  readonly logger: Logger;
  readonly debounce: DebounceSettings;
  /** About this many encoded bytes per response; the rest follows in the next response (after the ACK). */
  readonly maxResponseBytes: number;
  readonly timers?: Timers;
}

export interface XdsServer {
  /** For startGrpcServer's `services`. */
  readonly service: GrpcService;
  /** Resolves when every source has synced (rejects if one fails to). */
  readonly synced: Promise<void>;
  /** Authenticated streams open now. */
  readonly connections: number;
  /** Ends every stream with UNAVAILABLE and stops watching the sources. */
  close(): void;
}

type Call = ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

export function createXdsServer(opts: XdsServerOptions): XdsServer {
  const { metrics, logger } = opts;
  const sources = new Map(opts.sources.map((s) => [s.typeUrl, s]));
  const syncedTypes = new Set<string>();
  const connections = new Set<XdsConnection>();
  const calls = new Set<Call>();
  const loggedUnknown = new Set<string>();
  let pushVersion = 0;
  let streamCounter = 0;
  let closed = false;

  const typeLabel = (typeUrl: string): string => (sources.has(typeUrl) ? shortType(typeUrl) : 'unknown');
  const ctx: ConnectionContext = {
    sources,
    isSynced: (typeUrl) => syncedTypes.has(typeUrl),
    metrics,
    logger,
    maxResponseBytes: opts.maxResponseBytes,
    version: () => String(pushVersion),
    unknownType: (typeUrl, nodeId) => {
      if (loggedUnknown.has(typeUrl) || loggedUnknown.size >= MAX_LOGGED_UNKNOWN_TYPES) return;
      loggedUnknown.add(typeUrl);
      logger.warn(`xDS: ${nodeId} asked for type ${JSON.stringify(typeUrl.slice(0, 200))}, which istiod does not serve; answering with an empty response`);
    },
  };

  const flush = (batch: Batch): void => {
    metrics.flushes.inc();
    for (const [typeUrl, names] of batch) {
      const source = sources.get(typeUrl);
      if (!source) continue;
      const changed = source.refresh(names);
      if (changed.size === 0) continue;
      pushVersion++;
      for (const conn of connections) conn.push(typeUrl, changed);
    }
  };
  const debouncer = new Debouncer(opts.debounce, flush, opts.timers ?? realTimers);
  const unsubscribes = opts.sources.map((s) => s.onChange((names) => debouncer.add(s.typeUrl, names)));
  const synced = Promise.all(opts.sources.map((s) => s.synced.then(() => {
    if (closed) return;
    syncedTypes.add(s.typeUrl);
    pushVersion++;
    for (const conn of connections) conn.sourceSynced(s.typeUrl);
  }))).then(() => undefined);
  synced.catch((err: unknown) => logger.error(`xDS: a resource source failed to sync: ${describeError(err)}`));

  const handler: handleBidiStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = (call) => {
    const peer = call.getPeer();
    const id = `${(++streamCounter).toString(36)}`;
    const queued: DeltaDiscoveryRequest[] = [];
    let conn: XdsConnection | undefined;
    let done = false;
    calls.add(call);

    const finish = (why: string): void => {
      if (done) return;
      done = true;
      calls.delete(call);
      if (!conn) return;
      conn.close();
      connections.delete(conn);
      metrics.connected.set({}, connections.size);
      logger.info(`xDS: ${conn.nodeId} disconnected (${why}; ${conn.summary()})`);
    };
    const fail = (code: 'UNAUTHENTICATED' | 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED' | 'INTERNAL', message: string): void => {
      if (done) return;
      if (!conn) {
        metrics.refusedStreams.inc({ code });
        logger.warn(`xDS refused ${code}: stream from ${peer}: ${message}`);
      }
      finish(`${code}: ${message}`);
      call.emit('error', { code: status[code], details: message });
    };
    const handle = (c: XdsConnection, request: DeltaDiscoveryRequest): void => {
      try {
        c.handle(request);
      } catch (err) {
        logger.error(`xDS: request from ${c.nodeId} failed: ${describeError(err)}`);
        fail('INTERNAL', 'internal error');
      }
    };

    call.on('data', (request: DeltaDiscoveryRequest) => {
      if (done) return;
      if (conn) handle(conn, request);
      else if (queued.length < MAX_REQUESTS_BEFORE_AUTH) queued.push(request);
      else fail('RESOURCE_EXHAUSTED', 'too many requests before the token was reviewed');
    });
    call.on('end', () => {
      if (done) return;
      finish('the client closed the stream');
      call.end();
    });
    call.on('cancelled', () => finish('cancelled by the client'));
    call.on('error', (err: unknown) => finish(`stream error: ${describeError(err)}`));
    call.on('close', () => finish('closed'));

    if (closed) {
      fail('UNAVAILABLE', 'istiod is shutting down');
      return;
    }
    opts.authenticator.authenticate(call.metadata, peer).then((outcome) => {
      if (done) return;
      if (!outcome.ok) {
        fail(outcome.code, outcome.message);
        return;
      }
      const c = new XdsConnection(id, `${describeCaller(outcome.caller)} from ${peer}`, ctx, (response) => {
        if (!done) call.write(response);
      });
      conn = c;
      connections.add(c);
      metrics.connected.set({}, connections.size);
      for (const request of queued.splice(0)) {
        if (done) break;
        handle(c, request);
      }
    }, (err: unknown) => {
      logger.error(`xDS: authenticating a stream from ${peer} failed: ${describeError(err)}`);
      fail('INTERNAL', 'internal error');
    });
  };

  const method: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
    ...deltaAdsMethod,
    responseSerialize: (response: DeltaDiscoveryResponse): Buffer => {
      const bytes = deltaAdsMethod.responseSerialize(response);
      const type = typeLabel(response.typeUrl);
      metrics.pushes.inc({ type });
      metrics.sentBytes.inc({ type }, bytes.length);
      return bytes;
    },
  };

  return {
    service: { name: ADS_SERVICE_NAME, definition: { DeltaAggregatedResources: method }, implementation: { DeltaAggregatedResources: handler } },
    synced,
    get connections() { return connections.size; },
    close: () => {
      if (closed) return;
      closed = true;
      debouncer.close();
      for (const u of unsubscribes) u();
      for (const call of [...calls]) {
        calls.delete(call);
        call.emit('error', { code: status.UNAVAILABLE, details: 'istiod is shutting down' });
      }
      for (const conn of connections) conn.close();
      connections.clear();
      metrics.connected.set({}, 0);
    },
  };
}
