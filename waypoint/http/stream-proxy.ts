// The waypoint's L7 data path behind the HBONE listener: `serve()` takes one accepted tunnel stream
// and its resolved target and serves it — HTTP/1.1 or HTTP/2 (sniffed) through the shared servers
// and the request pipeline (with L7 security), TCP/TLS (or UNKNOWN that is not HTTP) through the
// L4 relay once AuthorizationPolicies allow the connection on its L4 attributes — keeping
// per-backend upstream state, counting active streams and requests, and draining gracefully.

import type { Duplex } from 'node:stream';
import type { Logger } from '../../pkg/log/logger';
import type { Registry } from '../../pkg/telemetry/metrics';
import { abortDuplex } from '../../pkg/hbone/splice';
import type { StreamTarget, TunnelDialer, WaypointView } from '../state/view';
import { RESPONSE_FLAGS, sourceMeta, type SourceMeta } from '../telemetry/labels';
import { RequestTelemetry } from '../telemetry/request-metrics';
import { BackendRegistry } from '../upstream/backend-state';
import { relayL4 } from '../upstream/l4-relay';
import { guardEmptyWrites } from '../../pkg/hbone/empty-write-guard';
import { endpointAddress } from '../upstream/tunnel';
import { Exchange } from './exchange';
import { handleRequest, type PipelineDeps } from './pipeline';
import { SecurityRuntime } from './security-step';
import { JwtAuthenticator } from '../security/jwt-authn';
import { createJwksFetcher } from '../security/jwks-fetch';
import { HttpServers } from './servers';
import { sniffStream, type SniffResult } from './sniff';
import { l4Destination, serveMode, serviceMeta } from './targets';

export interface ProxyDeps {
  readonly view: WaypointView;
  readonly dial: TunnelDialer;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly self: { readonly namespace: string; readonly name: string; readonly identity: string /* spiffe://... */ };
  readonly random?: () => number;
  readonly now?: () => number;
  /** Verifies JWTs for RequestAuthentication (default: one that fetches JWKS directly, never through the mesh). */
  readonly authn?: JwtAuthenticator;
}

export interface Peer {
  /** The client's SPIFFE ID from its HBONE certificate. */
  readonly identity?: string;
  readonly address: string;
  readonly port: number;
  /** The host the client dialled (CONNECT `:authority`), for destination.ip. */
  readonly dialledHost?: string;
}

export interface StreamProxy {
  serve(stream: Duplex, target: StreamTarget, peer: Peer): void;
  readonly activeRequests: number;
  readonly activeStreams: number;
  /** Stop taking requests (HTTP/1.1: Connection: close on the next response; HTTP/2: GOAWAY), wait for in-flight ones until the deadline, then destroy. */
  drain(deadlineMs: number): Promise<void>;
}

/** How long an UNKNOWN-protocol stream may stay silent before it is relayed as TCP (server-first protocols). */
export const SNIFF_TIMEOUT_MS = 5_000;

interface StreamTag {
  readonly target: StreamTarget;
  readonly peer: Peer;
  readonly source: SourceMeta;
}

/**
 * Ends a stream abruptly. A net socket that was already ended must not be reset (reset after
 * shutdown fails with EINVAL, and with an HTTP server attached Node then spins), so it is destroyed.
 */
function teardown(stream: Duplex): void {
  if (stream.writableEnded) stream.destroy();
  else abortDuplex(stream);
}

export function createStreamProxy(deps: ProxyDeps): StreamProxy {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const { view, logger } = deps;
  const telemetry = new RequestTelemetry(deps.registry, logger);
  const backends = new BackendRegistry({ dial: deps.dial, logger });
  const unsubscribe = view.onChange(() => backends.refresh((name) => view.backend(name), (b) => view.endpoints(b)));
  const streams = new Set<Duplex>();
  let activeRequests = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];

  let activeRelays = 0;
  const settleIfIdle = (): void => {
    if (activeRequests === 0 && activeRelays === 0) for (const w of idleWaiters.splice(0)) w();
  };

  const authn = deps.authn ?? new JwtAuthenticator({ fetchJwks: createJwksFetcher({ dialMesh: () => undefined }), logger });
  const security = new SecurityRuntime(view, authn, deps.registry);
  const pipelineDeps: PipelineDeps = { view, backends, logger, random, now, draining: () => draining, security };

  const servers = new HttpServers<StreamTag>((s, req, res) => {
    activeRequests++;
    const ex = new Exchange({
      telemetry, now, peer: s.tag.peer, source: s.tag.source,
      ...(s.tag.target.kind === 'service' ? { service: serviceMeta(s.tag.target)! } : {}),
      onDone: () => {
        activeRequests--;
        settleIfIdle();
      },
    }, s.h2);
    void handleRequest(pipelineDeps, { target: s.tag.target, peer: s.tag.peer }, req, res, ex);
  }, logger);

  const relay = async (stream: Duplex, tag: StreamTag, endedWith?: Buffer): Promise<void> => {
    activeRelays++;
    try {
      await relayOnce(stream, tag, endedWith);
    } finally {
      activeRelays--;
      settleIfIdle();
    }
  };

  const relayOnce = async (stream: Duplex, tag: StreamTag, endedWith?: Buffer): Promise<void> => {
    const dest = l4Destination(view, tag.target);
    const authority = tag.target.kind === 'service' ? `${tag.target.hostname}:${tag.target.port}` : `${tag.target.endpoint.ip}:${tag.target.port}`;
    const started = now();
    if (!dest) {
      abortDuplex(stream);
      logger.warn(`waypoint: ${authority}: backend not found; connection reset`);
      return;
    }
    const service = serviceMeta(tag.target);
    const decision = security.checkConnection(tag.peer, tag.target);
    if (decision && !decision.allowed) {
      abortDuplex(stream);
      telemetry.connectionOpened({ source: tag.source, ...(service ? { service } : {}), flags: RESPONSE_FLAGS.denied })({
        srcAddr: `${tag.peer.address}:${tag.peer.port}`, ...(tag.peer.identity ? { srcIdentity: tag.peer.identity } : {}), authority,
        flags: RESPONSE_FLAGS.denied, durationMs: now() - started, bytesReceived: 0, bytesSent: 0,
        error: `denied by AuthorizationPolicy${decision.policy ? ` ${decision.policy}` : ' (no ALLOW policy matched)'}`,
      });
      return;
    }
    let closeRecord: ((log: Parameters<ReturnType<RequestTelemetry['connectionOpened']>>[0]) => void) | undefined;
    const result = await relayL4({
      stream, backend: dest.backend, state: backends.stateFor(dest.backend), endpoints: dest.endpoints, dial: deps.dial,
      sourceIp: tag.peer.address, random, now, logger, ...(endedWith ? { endedWith } : {}),
    }, (ep) => {
      closeRecord = telemetry.connectionOpened({ source: tag.source, ...(service ? { service } : {}), endpoint: ep, flags: '-' });
    });
    closeRecord ??= telemetry.connectionOpened({
      source: tag.source, ...(service ? { service } : {}), ...(result.endpoint ? { endpoint: result.endpoint } : {}), flags: result.flag,
    });
    closeRecord({
      srcAddr: `${tag.peer.address}:${tag.peer.port}`, ...(tag.peer.identity ? { srcIdentity: tag.peer.identity } : {}), authority,
      ...(result.endpoint ? { upstream: endpointAddress(result.endpoint) } : {}), backend: dest.backend.name, flags: result.flag,
      durationMs: now() - started, bytesReceived: result.bytesReceived, bytesSent: result.bytesSent, ...(result.error ? { error: result.error } : {}),
    });
  };

  const serveSniffed = (stream: Duplex, tag: StreamTag, sniffed: SniffResult): void => {
    if (sniffed.protocol === 'closed' || stream.destroyed) {
      stream.destroy();
      return;
    }
    if (sniffed.protocol === 'tcp') {
      void relay(stream, tag, sniffed.endedWith);
      return;
    }
    if (sniffed.endedWith || draining) {
      // A partial HTTP head followed by the end of the stream (or a drain meanwhile): nothing to serve.
      stream.destroy();
      return;
    }
    servers.accept(stream, sniffed.protocol === 'h2', tag, () => undefined);
  };

  return {
    serve(stream: Duplex, target: StreamTarget, peer: Peer): void {
      stream.on('error', () => undefined);
      guardEmptyWrites(stream);
      if (draining) {
        abortDuplex(stream);
        return;
      }
      streams.add(stream);
      stream.once('close', () => streams.delete(stream));
      const tag: StreamTag = { target, peer, source: sourceMeta(peer.identity) };
      const mode = serveMode(target);
      if (mode === 'tcp') {
        void relay(stream, tag);
        return;
      }
      void sniffStream(stream, SNIFF_TIMEOUT_MS, mode === 'http' ? 'h1' : 'tcp').then((sniffed) => {
        if (mode === 'http' && sniffed.protocol === 'tcp') serveSniffed(stream, tag, { protocol: 'h1' });
        else serveSniffed(stream, tag, sniffed);
      });
    },

    get activeRequests(): number {
      return activeRequests;
    },

    get activeStreams(): number {
      return streams.size;
    },

    async drain(deadlineMs: number): Promise<void> {
      draining = true;
      servers.drain();
      if (activeRequests > 0 || activeRelays > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, deadlineMs));
          idleWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      idleWaiters = [];
      unsubscribe();
      for (const s of [...streams]) teardown(s);
      servers.destroyAll();
      backends.destroy();
      authn.close();
    },
  };
}
