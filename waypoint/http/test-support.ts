// Test-only helpers for the waypoint's data path on loopback: a fake WaypointView, a dialer that
// reaches plain loopback servers (one per endpoint), HTTP/1.1 and HTTP/2 echo backends that record
// what they saw, a "front" net.Server whose accepted sockets are fed to serve() as tunnel streams,
// builders for routes/backends/targets, and a client for plain HTTP/1.1 requests.

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_CONNECTION_POOL, type Backend, type PortRoutes, type Route, type WaypointConfig } from '../../pkg/api/waypoint-types';
import type { AppProtocol } from '../../pkg/api/workload-types';
import type { Endpoint, StreamTarget, TunnelDialer, WaypointView } from '../state/view';
import type { Peer, StreamProxy } from './stream-proxy';

export const SERVICE_HOST = 'reviews.shop.svc.cluster.local';
export const SERVICE_PORT = 9080;
export const AUTHORITY = `${SERVICE_HOST}:${SERVICE_PORT}`;
export const CLIENT: Peer = { identity: 'spiffe://cluster.local/ns/shop/sa/productpage', address: '127.0.0.9', port: 40000 };

export class FakeView implements WaypointView {
  readonly backends = new Map<string, Backend>();
  readonly endpointsByBackend = new Map<string, Endpoint[]>();
  private readonly listeners = new Set<() => void>();
  /** The config config() returns (tests of security set one with `security`). */
  current: WaypointConfig | undefined;

  config(): WaypointConfig | undefined {
    return this.current;
  }

  resolveTarget(): undefined {
    return undefined;
  }

  backend(name: string): Backend | undefined {
    return this.backends.get(name);
  }

  endpoints(b: Backend): readonly Endpoint[] {
    return this.endpointsByBackend.get(b.name) ?? [];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(b: Backend, endpoints: Endpoint[]): this {
    this.backends.set(b.name, b);
    this.endpointsByBackend.set(b.name, endpoints);
    for (const l of this.listeners) l();
    return this;
  }
}

export function makeBackend(name: string, extra: Partial<Backend> = {}): Backend {
  return { name, serviceKey: 'shop/reviews.shop.svc.cluster.local', port: SERVICE_PORT, lb: { kind: 'round_robin' }, pool: DEFAULT_CONNECTION_POOL, policySource: '', ...extra };
}

export function makeRoute(extra: Partial<Route> & { name: string }): Route {
  return { matches: [], mirrors: [], backends: [], ...extra };
}

export function serviceTarget(routes: Route[], defaultBackend: string, protocol: AppProtocol = 'HTTP11'): StreamTarget {
  const pr: PortRoutes = { port: SERVICE_PORT, protocol, routes, defaultBackend };
  return { kind: 'service', serviceKey: `shop/${SERVICE_HOST}`, serviceName: 'reviews', serviceNamespace: 'shop', hostname: SERVICE_HOST, port: SERVICE_PORT, routes: pr };
}

export function makeEndpoint(name: string, port: number, extra: Partial<Endpoint> = {}): Endpoint {
  return {
    uid: `Kubernetes//Pod/shop/${name}`, ip: '127.0.0.1', targetPort: port, identity: `spiffe://cluster.local/ns/shop/sa/${name}`,
    tunnel: 'NONE', healthy: true, namespace: 'shop', workloadName: name, canonicalName: 'reviews', canonicalRevision: 'v1', ...extra,
  };
}

/** Plain TCP to ip:targetPort, counting dials. */
export function loopbackDialer(): TunnelDialer & { dials: number } {
  const dial = ((ep: Endpoint): Promise<Duplex> => {
    dial.dials++;
    return new Promise<Duplex>((resolve, reject) => {
      const s = net.connect({ host: ep.ip, port: ep.targetPort, allowHalfOpen: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }) as TunnelDialer & { dials: number };
  dial.dials = 0;
  return dial;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface TestBackend {
  readonly name: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export type BackendHandler = (req: SeenRequest, res: http.ServerResponse | http2.Http2ServerResponse, n: number) => void;

/** Echoes `<name> <method> <url>` unless `handler` answers; `h2: 'both'` speaks HTTP/1.1 and h2c. */
export async function startBackend(name: string, opts: { h2?: boolean | 'both'; handler?: BackendHandler } = {}): Promise<TestBackend> {
  const seen: SeenRequest[] = [];
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(r);
      if (opts.handler) opts.handler(r, res, seen.length);
      else (res as http.ServerResponse).end(`${name} ${r.method} ${r.url}`);
    });
  };
  let server: net.Server;
  if (opts.h2 === 'both') {
    const h1 = http.createServer(onRequest);
    const h2 = http2.createServer(onRequest);
    server = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        s.pause();
        s.unshift(d);
        if (d.toString('latin1').startsWith('PRI * HTTP/2.0')) h2.emit('connection', s);
        else {
          h1.emit('connection', s);
          s.resume();
        }
      });
    });
  } else {
    server = opts.h2 ? http2.createServer(onRequest) : http.createServer(onRequest);
  }
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface Front {
  readonly port: number;
  close(): Promise<void>;
}

/** A loopback listener whose connections become tunnel streams for `proxy.serve`. */
export async function startFront(proxy: StreamProxy, target: StreamTarget, peer: Peer = CLIENT): Promise<Front> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => proxy.serve(socket, target, peer));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP/1.1 request through the front (host = the Service authority unless given). */
export function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: opts.agent ?? false,
      headers: { host: AUTHORITY, ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A deterministic random source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
