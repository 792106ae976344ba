// HTTP/1.1 upstream connection pooling over tunnels: an http.Agent whose "sockets" are tunnels
// from the dialer, one origin per endpoint. A tunnel is reused for the next request when the
// response completed cleanly and the connection is persistent; idle tunnels per endpoint are capped
// and closed after UPSTREAM_IDLE_MS; ConnectionPool.maxConnections caps tunnels across the backend
// and maxRequestsPerConnection retires a tunnel after that many requests.

import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionPool } from '../../pkg/api/waypoint-types';
import type { Endpoint, TunnelDialer } from '../state/view';
import { endpointKey, openTunnel, UPSTREAM_IDLE_MS } from './tunnel';

/** Endpoint names remembered before unused ones are forgotten. */
const MAX_ORIGINS = 1024;
/** Idle tunnels kept per endpoint. */
export const MAX_IDLE_PER_ENDPOINT = 32;

export interface H1PoolOptions {
  readonly pool: ConnectionPool;
  readonly idleMs?: number;
  readonly maxIdlePerEndpoint?: number;
}

/** The agent's origin name travels in the request options as `host`. */
interface TunnelRequestArgs extends http.ClientRequestArgs {
  readonly host?: string | null;
}

interface Waiter {
  readonly origin: string;
  readonly wake: () => void;
}

export class H1Pool extends http.Agent {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly uses = new WeakMap<Duplex, number>();
  private readonly idleTimers = new WeakMap<Duplex, NodeJS.Timeout>();
  private readonly maxConnections: number;
  private readonly maxPerConnection: number;
  private readonly idleMs: number;
  private waiters: Waiter[] = [];
  /** Tunnels being dialled and tunnels open (Node's own maxTotalSockets does not see async dials). */
  private connecting = 0;
  private open = 0;
  private retired = false;

  constructor(private readonly dial: TunnelDialer, options: H1PoolOptions) {
    super({ keepAlive: true, maxFreeSockets: options.maxIdlePerEndpoint ?? MAX_IDLE_PER_ENDPOINT, scheduling: 'lifo' });
    this.maxConnections = options.pool.maxConnections;
    this.maxPerConnection = options.pool.maxRequestsPerConnection;
    this.idleMs = options.idleMs ?? UPSTREAM_IDLE_MS;
    this.on('free', () => this.pump());
  }

  /** The origin name of an endpoint; pass it as `host` in the request options. */
  originFor(ep: Endpoint): string {
    const key = endpointKey(ep);
    if (this.endpoints.size >= MAX_ORIGINS && !this.endpoints.has(key)) this.forgetUnused();
    this.endpoints.set(key, ep);
    return key;
  }

  /** Endpoints come and go: names without tunnels or queued requests are dropped. */
  private forgetUnused(): void {
    for (const name of this.endpoints.keys()) {
      if (!this.sockets[name]?.length && !this.freeSockets[name]?.length && !this.requests[name]?.length) this.endpoints.delete(name);
    }
  }

  /** Whether a request for this origin can go now (an idle tunnel, or room for a new one). */
  hasCapacity(origin: string): boolean {
    if ((this.freeSockets[origin]?.length ?? 0) > 0) return true;
    return this.maxConnections <= 0 || this.connecting + this.open < this.maxConnections;
  }

  /** Waits until hasCapacity(origin); false when `signal` aborts first. */
  waitForCapacity(origin: string, signal: AbortSignal): Promise<boolean> {
    if (this.hasCapacity(origin)) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        origin,
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  override getName(options?: TunnelRequestArgs): string {
    return options?.host ?? '';
  }

  override createConnection(options: TunnelRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const name = this.getName(options);
    const ep = this.endpoints.get(name);
    const done = callback ?? ((): void => undefined);
    if (!ep) {
      process.nextTick(done, new Error(`no endpoint for upstream origin ${name}`));
      return undefined;
    }
    this.connecting++;
    openTunnel(this.dial, ep).then(
      (tunnel) => {
        this.connecting--;
        this.open++;
        tunnel.once('close', () => {
          this.open--;
          this.pump();
        });
        done(null, tunnel);
      },
      (err: Error) => {
        this.connecting--;
        this.pump();
        done(err, undefined as unknown as Duplex);
      },
    );
    return undefined;
  }

  override keepSocketAlive(socket: Duplex): boolean {
    const used = (this.uses.get(socket) ?? 0) + 1;
    this.uses.set(socket, used);
    if (this.retired) return false;
    if (this.maxPerConnection > 0 && used >= this.maxPerConnection) return false;
    const timer = setTimeout(() => socket.destroy(), this.idleMs);
    timer.unref();
    this.idleTimers.set(socket, timer);
    return true;
  }

  override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
    const timer = this.idleTimers.get(socket);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(socket);
    // The base class drops the listener it added while the socket was free, then calls ref(),
    // which only net sockets have; other tunnels get the listener removed the same way.
    if (typeof (socket as Partial<net.Socket>).ref === 'function') {
      super.reuseSocket(socket as net.Socket, request);
      return;
    }
    for (const l of socket.listeners('error')) {
      if ((l as { name?: string }).name === 'freeSocketErrorListener') socket.removeListener('error', l as (err: Error) => void);
    }
  }

  /** No new tunnels are kept: idle ones close now, busy ones after their current request. */
  retire(): void {
    this.retired = true;
    for (const list of Object.values(this.freeSockets)) for (const s of [...(list ?? [])]) s.destroy();
  }

  /** Tunnels close now, busy or not; waiting requests are released (they fail on the closed pool). */
  override destroy(): void {
    this.retired = true;
    super.destroy();
    for (const w of this.waiters.splice(0)) w.wake();
  }

  /** Wakes waiters in order while there is capacity; at the cap, an idle tunnel of another origin makes room. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0];
      if (this.hasCapacity(w.origin)) {
        this.waiters.shift();
        w.wake();
        continue;
      }
      const idle = Object.values(this.freeSockets).find((list) => (list?.length ?? 0) > 0);
      idle?.[0].destroy();
      return;
    }
  }
}
