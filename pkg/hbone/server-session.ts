// One HBONE server session: connection window, client-identity check (same trust domain as our
// certificate, else GOAWAY before any stream is served), PING keepalive, Rapid Reset accounting,
// and each stream's CONNECT: validate, ask the handler, answer, then splice to the upstream (or
// hand the stream itself to the handler).

import { constants as h2, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, MeshError, describeError } from '../errors/mesh-error';
import { formatSpiffeId, type SpiffeId } from '../identity/spiffe';
import { identityFromCertificate, type WorkloadCertificate } from '../tls/workload-cert';
import { PrematureResetCounter } from './abuse';
import { parseAuthority, unmapIpv4 } from './authority';
import { printable } from './errors';
import { isValidTraceparent, parseBaggage, parseForwarded } from './headers';
import { guardEmptyWrites } from './empty-write-guard';
import { startKeepalive } from './keepalive';
import type { ResolvedServerLimits } from './server-limits';
import { abortDuplex, splice } from './splice';
import type { ConnectOutcome, ConnectRequest, HboneServerOptions } from './types';

type AcceptedOutcome = Extract<ConnectOutcome, { kind: 'accepted' }>;

export interface ServerCounters {
  activeStreams: number;
  streamsConnected: number;
  streamsRejected: number;
  sessionsRefused: number;
  sessionsClosedForAbuse: number;
}

export interface SessionContext {
  readonly options: HboneServerOptions;
  readonly limits: ResolvedServerLimits;
  readonly counters: ServerCounters;
}

interface PeerInfo {
  readonly identity: SpiffeId;
  readonly address: string;
  readonly port: number;
  readonly localAddress: string;
  readonly localPort: number;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Verifies the client and returns who it is, or why it is refused. */
function verifyPeer(session: ServerHttp2Session, cert: WorkloadCertificate): PeerInfo | string {
  const socket = session.socket as TLSSocket;
  const der = socket.getPeerCertificate(false)?.raw;
  if (!Buffer.isBuffer(der) || der.length === 0) return 'no client certificate';
  let identity: SpiffeId;
  try {
    identity = identityFromCertificate(der);
  } catch (err) {
    return `client certificate has no usable identity (${describeError(err)})`;
  }
  if (identity.trustDomain !== cert.identity.trustDomain) {
    return `client identity ${formatSpiffeId(identity)} is not in trust domain ${cert.identity.trustDomain}`;
  }
  return {
    identity,
    address: unmapIpv4(socket.remoteAddress ?? ''),
    port: socket.remotePort ?? 0,
    localAddress: unmapIpv4(socket.localAddress ?? ''),
    localPort: socket.localPort ?? 0,
  };
}

/** Sets a session up; called from the certificate's HTTP/2 server 'session' event. */
export function serveSession(ctx: SessionContext, session: ServerHttp2Session, cert: WorkloadCertificate): void {
  session.on('error', () => {
    // Peer misbehaviour or a dropped socket: the session closes itself; nothing to crash.
  });
  const peer = verifyPeer(session, cert);
  if (typeof peer === 'string') {
    ctx.counters.sessionsRefused++;
    session.on('stream', (stream: ServerHttp2Stream) => stream.close(h2.NGHTTP2_REFUSED_STREAM));
    try {
      session.goaway(h2.NGHTTP2_INADEQUATE_SECURITY, 0, Buffer.from(peer.slice(0, 200)));
    } finally {
      session.destroy(new MeshError(ErrorCode.Unauthenticated, `HBONE client refused: ${peer}`), h2.NGHTTP2_INADEQUATE_SECURITY);
    }
    return;
  }
  try {
    session.setLocalWindowSize(ctx.limits.connectionWindowBytes);
  } catch {
    // The session is already gone.
  }
  const resets = new PrematureResetCounter({
    maxPrematureResets: ctx.limits.maxPrematureResets,
    windowMs: ctx.limits.prematureResetWindowMs,
  });
  let abusive = false;
  const closeForAbuse = (): void => {
    if (abusive) return;
    abusive = true;
    ctx.counters.sessionsClosedForAbuse++;
    try {
      session.goaway(h2.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from('too many reset streams'));
    } finally {
      session.destroy(new MeshError(ErrorCode.PermissionDenied, 'HBONE client closed for abuse: too many reset streams'), h2.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  };
  startKeepalive(session, {
    intervalMs: ctx.limits.pingIntervalMs,
    timeoutMs: ctx.limits.pingTimeoutMs,
    onTimeout: () => ctx.counters.sessionsClosedForAbuse++,
  });
  session.on('error', (err: { code?: string }) => {
    if (err?.code === 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES') ctx.counters.sessionsClosedForAbuse++;
  });
  session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    if (abusive) {
      stream.close(h2.NGHTTP2_REFUSED_STREAM);
      return;
    }
    resets.streamOpened(Date.now());
    const answered = { value: false };
    stream.once('close', () => {
      if (!answered.value && stream.rstCode !== undefined && stream.rstCode !== h2.NGHTTP2_NO_ERROR) {
        if (resets.prematureReset(Date.now())) closeForAbuse();
      }
    });
    void serveStream(ctx, peer, stream, headers, answered);
  });
}

function reject(ctx: SessionContext, stream: ServerHttp2Stream, answered: { value: boolean }, status: number, reason: string): void {
  ctx.counters.streamsRejected++;
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  answered.value = true;
  try {
    stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
    stream.end(`${printable(reason).slice(0, 200)}\n`);
  } catch {
    // The client reset the stream in the meantime.
  }
}

async function serveStream(
  ctx: SessionContext,
  peer: PeerInfo,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  answered: { value: boolean },
): Promise<void> {
  ctx.counters.activeStreams++;
  stream.once('close', () => ctx.counters.activeStreams--);
  stream.on('error', () => {
    // Reset by the peer or torn down with the session; splice and the close hook handle it.
  });
  if (headers[':method'] !== 'CONNECT') return reject(ctx, stream, answered, 400, 'only CONNECT is supported');
  const authority = parseAuthority(firstHeader(headers[':authority']) ?? '');
  if (!authority) return reject(ctx, stream, answered, 400, 'malformed :authority');

  const abort = new AbortController();
  const onGone = (): void => abort.abort(new Error('the client closed the stream'));
  stream.once('close', onGone);
  stream.once('aborted', onGone);
  const forwarded = parseForwarded(firstHeader(headers['forwarded']));
  const traceparent = firstHeader(headers['traceparent']);
  const request: ConnectRequest = {
    authority,
    localAddress: peer.localAddress,
    localPort: peer.localPort,
    peer: { identity: peer.identity, address: peer.address, port: peer.port },
    ...(forwarded ? { forwarded } : {}),
    baggage: parseBaggage(firstHeader(headers['baggage'])),
    ...(isValidTraceparent(traceparent) ? { traceparent } : {}),
    signal: abort.signal,
  };

  let outcome: ConnectOutcome;
  try {
    outcome = await ctx.options.onConnect(request);
  } catch {
    outcome = { kind: 'rejected', status: 503, reason: 'upstream unavailable' };
  }
  stream.off('close', onGone);
  stream.off('aborted', onGone);
  if (outcome.kind === 'rejected') return reject(ctx, stream, answered, outcome.status, outcome.reason);
  if (outcome.kind === 'accepted') return handOver(ctx, stream, answered, abort.signal, outcome);

  const upstream = outcome.upstream;
  if (stream.destroyed || stream.closed || abort.signal.aborted) {
    upstream.on('error', () => undefined);
    abortDuplex(upstream);
    return;
  }
  try {
    stream.respond({ ':status': 200, ...(outcome.responseBaggage ? { baggage: outcome.responseBaggage } : {}) });
  } catch {
    upstream.on('error', () => undefined);
    abortDuplex(upstream);
    return;
  }
  answered.value = true;
  ctx.counters.streamsConnected++;
  await splice(stream, upstream, { halfClosedIdleTimeoutMs: ctx.limits.halfClosedIdleTimeoutMs });
}

/** Answers 200 and gives the stream to the handler, which owns it from then on (safe for node:http to write on). */
function handOver(ctx: SessionContext, stream: ServerHttp2Stream, answered: { value: boolean }, signal: AbortSignal, outcome: AcceptedOutcome): void {
  if (stream.destroyed || stream.closed || signal.aborted) return;
  try {
    stream.respond({ ':status': 200, ...(outcome.responseBaggage ? { baggage: outcome.responseBaggage } : {}) });
  } catch {
    return;
  }
  answered.value = true;
  ctx.counters.streamsConnected++;
  try {
    outcome.onStream(guardEmptyWrites(stream));
  } catch {
    // The handler failed to take it: nobody owns the stream, so reset it rather than leak it.
    abortDuplex(stream);
  }
}
