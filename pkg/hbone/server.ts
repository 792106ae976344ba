// The HBONE server: accepts TCP (its own listener or sockets handed in by a transparent
// listener), picks the certificate by the address the connection arrived on — no SNI — and hands
// the socket to that certificate's HTTP/2 secure server. Owns the connection cap, the wait for a
// certificate, graceful close (GOAWAY, then destroy at the drain deadline) and statistics.

import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { mtlsContextOptions, type WorkloadCertificate } from '../tls/workload-cert';
import { unmapIpv4 } from './authority';
import { http2ServerOptions, resolveServerLimits } from './server-limits';
import { serveSession, type ServerCounters, type SessionContext } from './server-session';
import type { HboneServer, HboneServerOptions, HboneServerStats } from './types';

function tupleKey(remoteAddress: string | undefined, remotePort: number | undefined, localAddress: string | undefined, localPort: number | undefined): string {
  return `${unmapIpv4(remoteAddress ?? '')}|${remotePort ?? 0}|${unmapIpv4(localAddress ?? '')}|${localPort ?? 0}`;
}

function shuttingDown(): MeshError {
  return new MeshError(ErrorCode.Unavailable, 'the HBONE server is shutting down');
}

export function createHboneServer(options: HboneServerOptions): HboneServer {
  const limits = resolveServerLimits(options.limits);
  const counters: ServerCounters & { handshakeFailures: number } = {
    activeStreams: 0,
    streamsConnected: 0,
    streamsRejected: 0,
    sessionsRefused: 0,
    sessionsClosedForAbuse: 0,
    handshakeFailures: 0,
  };
  const ctx: SessionContext = { options, limits, counters };
  const h2Servers = new WeakMap<WorkloadCertificate, Http2SecureServer>();
  // Raw sockets accepted but not yet an HTTP/2 session, keyed by their address tuple.
  const pending = new Map<string, Socket>();
  const rawSockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  let listener: Server | undefined;
  let closing = false;

  const h2ServerFor = (cert: WorkloadCertificate): Http2SecureServer => {
    let server = h2Servers.get(cert);
    if (server) return server;
    server = createSecureServer({ ...http2ServerOptions(limits), ...mtlsContextOptions(cert) });
    server.on('error', () => undefined);
    server.on('tlsClientError', (_err: Error, socket: Socket) => {
      counters.handshakeFailures++;
      socket.destroy();
    });
    server.on('sessionError', () => undefined);
    // A client that negotiated no ALPN (or not h2): close now rather than after Node's 10 s.
    server.on('unknownProtocol', (socket: Socket) => {
      counters.handshakeFailures++;
      socket.destroy();
    });
    server.on('session', (session: ServerHttp2Session) => {
      const socket = session.socket;
      pending.delete(tupleKey(socket.remoteAddress, socket.remotePort, socket.localAddress, socket.localPort));
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      if (closing) {
        session.destroy(shuttingDown());
        return;
      }
      serveSession(ctx, session, cert);
    });
    h2Servers.set(cert, server);
    return server;
  };

  const dispatch = (socket: Socket, key: string, cert: WorkloadCertificate | undefined): void => {
    if (socket.destroyed) return;
    if (closing || !cert) {
      pending.delete(key);
      socket.destroy();
      return;
    }
    let server: Http2SecureServer;
    try {
      server = h2ServerFor(cert);
    } catch {
      pending.delete(key);
      socket.destroy();
      return;
    }
    server.emit('connection', socket);
  };

  const handleSocket = (socket: Socket): void => {
    socket.on('error', () => undefined);
    socket.setNoDelay(true); // HTTP/2 frames are already batched; Nagle only adds delayed-ACK stalls
    if (closing || rawSockets.size >= limits.maxConnections) {
      socket.destroy();
      return;
    }
    const key = tupleKey(socket.remoteAddress, socket.remotePort, socket.localAddress, socket.localPort);
    rawSockets.add(socket);
    pending.set(key, socket);
    socket.once('close', () => {
      rawSockets.delete(socket);
      if (pending.get(key) === socket) pending.delete(key);
    });
    let chosen: ReturnType<HboneServerOptions['certificateFor']>;
    try {
      chosen = options.certificateFor(unmapIpv4(socket.localAddress ?? ''));
    } catch {
      dispatch(socket, key, undefined);
      return;
    }
    if (!(chosen instanceof Promise)) {
      dispatch(socket, key, chosen);
      return;
    }
    const timer = setTimeout(() => {
      counters.handshakeFailures++;
      dispatch(socket, key, undefined);
    }, limits.handshakeTimeoutMs);
    timer.unref();
    chosen.then(
      (cert) => {
        clearTimeout(timer);
        dispatch(socket, key, cert);
      },
      () => {
        clearTimeout(timer);
        dispatch(socket, key, undefined);
      },
    );
  };

  const listen = (port: number, host: string): Promise<AddressInfo> => {
    if (listener) return Promise.reject(new Error('the HBONE server is already listening'));
    const server = createServer(handleSocket);
    server.on('error', () => undefined);
    listener = server;
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve(server.address() as AddressInfo);
      });
    });
  };

  const close = async (): Promise<void> => {
    closing = true;
    const stopped = listener ? new Promise<void>((resolve) => listener?.close(() => resolve())) : Promise.resolve();
    for (const socket of pending.values()) socket.destroy();
    for (const session of sessions) {
      if (!session.closed && !session.destroyed) session.close();
    }
    if (sessions.size > 0) {
      const drained = Promise.all([...sessions].map((session) => new Promise<void>((resolve) => session.once('close', () => resolve()))));
      let deadline: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, limits.drainTimeoutMs);
      });
      await Promise.race([drained, expired]);
      clearTimeout(deadline);
    }
    for (const session of sessions) session.destroy(shuttingDown());
    for (const socket of rawSockets) socket.destroy();
    await stopped;
  };

  const stats = (): HboneServerStats => ({
    pendingSockets: pending.size,
    sessions: sessions.size,
    activeStreams: counters.activeStreams,
    streamsConnected: counters.streamsConnected,
    streamsRejected: counters.streamsRejected,
    handshakeFailures: counters.handshakeFailures,
    sessionsRefused: counters.sessionsRefused,
    sessionsClosedForAbuse: counters.sessionsClosedForAbuse,
  });

  return { listen, handleSocket, close, stats };
}
