// The HBONE client pool: many tunnelled streams per mutual-TLS HTTP/2 connection, keyed by
// {source identity, expected destination identities, destination address, source address}.
// A caller takes a slot on a connection with room (ready or still connecting — so a burst of
// callers for a new key shares one handshake), else a new connection is opened for the key.

import { ErrorCode, MeshError } from '../errors/mesh-error';
import { formatSpiffeId } from '../identity/spiffe';
import { formatAuthority, parseAuthority } from './authority';
import { PoolConnection } from './pool-connection';
import { openStream } from './pool-stream';
import type { HboneDialRequest, HbonePoolOptions, HbonePoolStats, HboneStream } from './types';

const MiB = 1024 * 1024;

export const DEFAULT_POOL_OPTIONS: HbonePoolOptions = Object.freeze({
  maxStreamsPerConnection: 100,
  idleTimeoutMs: 5 * 60_000,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 20_000,
  connectTimeoutMs: 10_000,
  streamWindowBytes: 4 * MiB,
  connectionWindowBytes: 16 * MiB,
  maxFrameBytes: 1 * MiB,
});

/** How long `close()` lets open streams finish before destroying their connections. */
const CLOSE_GRACE_MS = 5_000;
/** Attempts when a connection goes away between taking a slot and opening the stream. */
const MAX_ATTEMPTS = 3;

/** Waits for `promise`, or rejects as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new MeshError(ErrorCode.Unavailable, what, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new MeshError(ErrorCode.Unavailable, what, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The pool key of a request (exported for tests and diagnostics). */
export function poolKey(req: HboneDialRequest): string {
  const expected = req.expectedIdentities.map(formatSpiffeId).sort().join(',');
  const destination = formatAuthority(req.destination.address, req.destination.port);
  return `${formatSpiffeId(req.source.identity)}|${expected}|${destination}|${req.sourceAddress ?? ''}`;
}

export class HbonePool {
  private readonly options: HbonePoolOptions;
  private readonly byKey = new Map<string, Set<PoolConnection>>();
  /** Every connection not yet closed, pooled or draining. */
  private readonly live = new Set<PoolConnection>();
  private opened = 0;
  private active = 0;
  private closed = false;

  constructor(options: Partial<HbonePoolOptions> = {}) {
    this.options = Object.freeze({ ...DEFAULT_POOL_OPTIONS, ...options });
  }

  /** Opens a tunnelled stream; rejects with a MeshError (HboneConnectError for a refused CONNECT). */
  async connect(req: HboneDialRequest): Promise<HboneStream> {
    if (!parseAuthority(req.authority)) {
      throw new MeshError(ErrorCode.InvalidArgument, `invalid HBONE authority ${JSON.stringify(String(req.authority).slice(0, 100))}`);
    }
    if (req.expectedIdentities.length === 0) {
      throw new MeshError(ErrorCode.InvalidArgument, 'an HBONE connection needs at least one expected server identity');
    }
    const key = poolKey(req);
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new MeshError(ErrorCode.Unavailable, 'the HBONE pool is closed');
      const conn = this.connectionWithRoom(key) ?? this.open(key, req);
      conn.reserve();
      try {
        await abortable(conn.ready, req.signal, `HBONE connect to ${conn.target} was aborted`);
      } catch (err) {
        conn.release();
        throw err;
      }
      if (!conn.usable && attempt < MAX_ATTEMPTS && !conn.failure) {
        conn.release();
        continue;
      }
      const stream = await openStream(conn, req);
      this.active++;
      stream.stream.once('close', () => this.active--);
      return stream;
    }
  }

  stats(): HbonePoolStats {
    let connections = 0;
    for (const conns of this.byKey.values()) connections += conns.size;
    return { connections, activeStreams: this.active, connectionsOpened: this.opened };
  }

  /** Stops new streams, lets open ones finish for a short grace period, then destroys the rest. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.live];
    const allClosed = Promise.all(conns.map((conn) => new Promise<void>((resolve) => {
      if (conn.session.destroyed) resolve();
      else conn.session.once('close', () => resolve());
    })));
    for (const conn of conns) conn.retire(undefined, true);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([allClosed, grace]);
    clearTimeout(timer);
    for (const conn of conns) conn.retire(undefined, false);
    await allClosed;
  }

  private connectionWithRoom(key: string): PoolConnection | undefined {
    const conns = this.byKey.get(key);
    if (!conns) return undefined;
    for (const conn of conns) if (conn.hasRoom) return conn;
    return undefined;
  }

  private open(key: string, req: HboneDialRequest): PoolConnection {
    const conn = new PoolConnection(req, this.options, (gone) => this.forget(key, gone));
    this.opened++;
    this.live.add(conn);
    conn.session.once('close', () => this.live.delete(conn));
    let conns = this.byKey.get(key);
    if (!conns) {
      conns = new Set();
      this.byKey.set(key, conns);
    }
    conns.add(conn);
    return conn;
  }

  private forget(key: string, conn: PoolConnection): void {
    const conns = this.byKey.get(key);
    if (!conns) return;
    conns.delete(conn);
    if (conns.size === 0) this.byKey.delete(key);
  }
}
