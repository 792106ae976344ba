// The two HTTP servers every tunnel stream is fed to (never listening: streams arrive with
// `emit('connection', stream)`): one http.Server for HTTP/1.1 and one http2.Server (h2c, prior
// knowledge) for HTTP/2, with bounded header sizes and counts, header-read timeouts and bounded
// requests per connection. Each stream is tagged with what it is for (HTTP/1.1: the stream is the
// request's socket; HTTP/2: its session), and both servers hand requests to one handler. Drain:
// HTTP/2 sessions get GOAWAY, idle HTTP/1.1 connections close, busy ones close after their response.

import http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../pkg/log/logger';
import type { DownstreamResponse } from './errors';
import { MAX_REQUEST_HEADERS, type DownstreamRequest } from './request-info';

export const MAX_REQUEST_HEADER_BYTES = 60 * 1024;
export const MAX_REQUESTS_PER_H1_CONNECTION = 10_000;
export const HEADERS_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 60_000;
const MAX_CONCURRENT_STREAMS = 100;
const STREAM_WINDOW = 4 * 1024 * 1024;

/** One tunnel stream being served over HTTP. */
export interface HttpStream<T> {
  readonly tag: T;
  readonly stream: Duplex;
  readonly h2: boolean;
  active: number;
  session?: http2.ServerHttp2Session;
}

export type RequestHandler<T> = (s: HttpStream<T>, req: DownstreamRequest, res: DownstreamResponse) => void;

const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

export class HttpServers<T> {
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly byKey = new WeakMap<object, HttpStream<T>>();
  private readonly live = new Set<HttpStream<T>>();
  private pending: HttpStream<T> | undefined;
  private draining = false;

  constructor(private readonly handler: RequestHandler<T>, private readonly logger: Logger) {
    this.h1 = http.createServer({
      maxHeaderSize: MAX_REQUEST_HEADER_BYTES,
      requestTimeout: 0,
      headersTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      requireHostHeader: true,
      insecureHTTPParser: false,
    });
    this.h1.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
    this.h1.maxRequestsPerSocket = MAX_REQUESTS_PER_H1_CONNECTION;
    this.h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.dispatch(req.socket, req, res));
    this.h1.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.clientError(err, socket));
    // Node tracks header/request timeouts of a server's connections once it is "listening".
    this.h1.emit('listening');

    this.h2 = http2.createServer({
      maxHeaderListPairs: MAX_REQUEST_HEADERS + 5, // + pseudo-headers
      maxSessionMemory: 32,
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: MAX_REQUEST_HEADER_BYTES, initialWindowSize: STREAM_WINDOW, enablePush: false },
    });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      session.on('error', () => undefined);
      const s = this.pending;
      if (!s) return;
      s.session = session;
      this.byKey.set(session, s);
      if (this.draining) session.close();
    });
    this.h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => this.dispatch(req.stream.session, req, res));
    this.h2.on('sessionError', () => undefined);
  }

  /** Serves `stream` as HTTP/1.1 or HTTP/2; `onClose` runs once when it is gone. */
  accept(stream: Duplex, h2: boolean, tag: T, onClose: () => void): HttpStream<T> {
    const s: HttpStream<T> = { tag, stream, h2, active: 0 };
    this.live.add(s);
    stream.once('close', () => {
      this.live.delete(s);
      onClose();
    });
    // The stream is paused with the sniffed bytes put back: HTTP/2 sessions pick buffered bytes up
    // themselves (resuming first would lose them); the HTTP/1.1 parser needs the stream flowing.
    if (h2) {
      this.pending = s;
      try {
        this.h2.emit('connection', stream);
      } finally {
        this.pending = undefined;
      }
    } else {
      this.byKey.set(stream, s);
      this.h1.emit('connection', stream);
      stream.resume();
    }
    return s;
  }

  /** Stop taking requests: GOAWAY on HTTP/2, idle HTTP/1.1 connections closed (busy ones after their response). */
  drain(): void {
    this.draining = true;
    for (const s of this.live) {
      if (s.h2) s.session?.close();
      else if (s.active === 0) s.stream.end();
    }
  }

  /** Every stream still open is destroyed. */
  destroyAll(): void {
    for (const s of [...this.live]) {
      s.session?.destroy();
      s.stream.destroy();
    }
    this.h1.close();
    this.h2.close();
  }

  private dispatch(key: object | undefined, req: DownstreamRequest, res: DownstreamResponse): void {
    const s = key ? this.byKey.get(key) : undefined;
    if (!s) {
      res.destroy();
      return;
    }
    s.active++;
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      s.active--;
      if (this.draining && !s.h2 && s.active === 0) s.stream.end();
    };
    res.once('close', done);
    try {
      this.handler(s, req, res);
    } catch (err) {
      this.logger.error(`waypoint: request handler threw: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    }
  }

  private clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const status = (err.code && CLIENT_ERROR_STATUS[err.code]) ?? '400 Bad Request';
    const writable = socket.writable && !(socket as Duplex & { _httpMessage?: unknown })._httpMessage;
    if (writable && err.code !== 'ECONNRESET') {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\nserver: ambit-waypoint\r\n\r\n`);
      socket.once('finish', () => socket.destroy());
    } else {
      socket.destroy();
    }
  }
}
