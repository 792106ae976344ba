// The small node:http server under the waypoint's admin, stats and readiness ports: a fixed route
// table (path → method → handler), 404 for unknown paths, 405 with Allow for other methods,
// request bodies never read (a large one closes the connection), and the one place where a
// handler's failure becomes an HTTP response (500, logged).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';

export interface HttpReply {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
  /** Runs once the reply has been written. */
  readonly after?: () => void;
}

export type Handler = (url: URL) => HttpReply | Promise<HttpReply>;
export type Routes = Readonly<Record<string, Partial<Record<'GET' | 'POST', Handler>>>>;

export interface RunningHttpServer {
  readonly address: { readonly host: string; readonly port: number };
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>;
}

const MAX_IGNORED_BODY_BYTES = 64 * 1024;
const TEXT = 'text/plain; charset=utf-8';

export function text(status: number, body: string): HttpReply {
  return { status, contentType: TEXT, body: body.endsWith('\n') ? body : `${body}\n` };
}

export function json(value: unknown, status = 200): HttpReply {
  return { status, contentType: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` };
}

function send(res: ServerResponse, reply: HttpReply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? TEXT, 'content-length': Buffer.byteLength(reply.body), 'cache-control': 'no-store' });
  res.end(reply.body, reply.after);
}

async function handle(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_IGNORED_BODY_BYTES) {
    res.setHeader('connection', 'close');
    send(res, text(413, 'request body too large (bodies are ignored)'));
    req.destroy();
    return;
  }
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > MAX_IGNORED_BODY_BYTES) req.destroy();
  });
  req.on('error', () => undefined);
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    send(res, text(400, 'malformed request target'));
    return;
  }
  const route = Object.prototype.hasOwnProperty.call(routes, url.pathname) ? routes[url.pathname] : undefined;
  if (!route) {
    send(res, text(404, `no such endpoint: ${url.pathname.slice(0, 200)}`));
    return;
  }
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
  if (!handler) {
    const allow = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
    res.setHeader('allow', allow);
    send(res, text(405, `method ${String(req.method).slice(0, 20)} not allowed on ${url.pathname} (allowed: ${allow})`));
    return;
  }
  send(res, await handler(url));
}

export async function startHttpServer(options: {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly routes: Routes;
  readonly logger: Logger;
}): Promise<RunningHttpServer> {
  const { name, routes, logger } = options;
  const server = createServer((req, res) => {
    handle(routes, req, res).catch((err: unknown) => {
      logger.error(`${name} server: ${req.method} ${req.url?.slice(0, 200)} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      send(res, text(500, `internal error: ${describeError(err)}`));
    });
  });
  server.maxConnections = 128;
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new MeshError(ErrorCode.Unavailable, `${name} server cannot listen on ${options.host}:${options.port}`, { cause: err });
  });
  server.on('error', (err) => logger.error(`${name} server: ${describeError(err)}`));
  let closing: Promise<void> | undefined;
  return {
    address: Object.freeze({ host: options.host, port: (server.address() as AddressInfo).port }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
