// HTTP/2 (and gRPC) upstream sessions over tunnels: one client session per endpoint over one
// tunnel, many requests multiplexed, re-created when it closes or goes away; a session retires after
// maxRequestsPerConnection requests, and one without streams closes after UPSTREAM_IDLE_MS.
// Concurrent first requests to an endpoint share one dial.

import http2 from 'node:http2';
import type { ConnectionPool } from '../../pkg/api/waypoint-types';
import type { Endpoint, TunnelDialer } from '../state/view';
import { endpointKey, openTunnel, UPSTREAM_IDLE_MS } from './tunnel';

/** Stream / connection flow-control windows (as HBONE uses). */
const STREAM_WINDOW = 4 * 1024 * 1024;
const MAX_HEADER_LIST_SIZE = 64 * 1024;

interface Entry {
  readonly key: string;
  session?: http2.ClientHttp2Session;
  connecting?: Promise<http2.ClientHttp2Session>;
  requests: number;
  active: number;
  idle?: NodeJS.Timeout;
  retired: boolean;
}

const noop = (): void => undefined;

export class H2Pool {
  private readonly entries = new Map<string, Entry>();
  private readonly all = new Set<Entry>();
  private closed = false;

  constructor(
    private readonly dial: TunnelDialer,
    private readonly pool: ConnectionPool,
    private readonly idleMs: number = UPSTREAM_IDLE_MS,
  ) {}

  /** Opens a stream to the endpoint; rejects with a DialError when no tunnel can be opened. */
  async request(ep: Endpoint, headers: http2.OutgoingHttpHeaders): Promise<http2.ClientHttp2Stream> {
    if (this.closed) throw new Error('upstream pool closed');
    const entry = this.entryFor(ep);
    entry.requests++;
    entry.active++;
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = undefined;
    if (this.pool.maxRequestsPerConnection > 0 && entry.requests >= this.pool.maxRequestsPerConnection) this.retire(entry);
    let session: http2.ClientHttp2Session;
    try {
      session = entry.session ?? (await entry.connecting!);
    } catch (err) {
      this.streamDone(entry);
      throw err;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      this.streamDone(entry);
      throw err;
    }
    stream.once('close', () => this.streamDone(entry));
    return stream;
  }

  /** Sessions finish their streams, then close. */
  close(): void {
    this.closed = true;
    for (const entry of [...this.all]) this.retire(entry);
  }

  /** Sessions close now. */
  destroy(): void {
    this.closed = true;
    for (const entry of [...this.all]) {
      entry.retired = true;
      if (entry.idle) clearTimeout(entry.idle);
      entry.session?.destroy();
      this.forget(entry);
    }
  }

  private entryFor(ep: Endpoint): Entry {
    const key = endpointKey(ep);
    const existing = this.entries.get(key);
    if (existing && !existing.retired) return existing;
    const entry: Entry = { key, requests: 0, active: 0, retired: false };
    entry.connecting = this.connect(entry, ep);
    entry.connecting.catch(noop);
    this.entries.set(key, entry);
    this.all.add(entry);
    return entry;
  }

  private async connect(entry: Entry, ep: Endpoint): Promise<http2.ClientHttp2Session> {
    let tunnel;
    try {
      tunnel = await openTunnel(this.dial, ep);
    } catch (err) {
      this.forget(entry);
      throw err;
    }
    const host = ep.ip.includes(':') ? `[${ep.ip}]` : ep.ip;
    const session = http2.connect(`http://${host}:${ep.targetPort}`, {
      createConnection: () => tunnel,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW, maxHeaderListSize: MAX_HEADER_LIST_SIZE },
      maxHeaderListPairs: 256,
    });
    session.on('error', noop);
    session.once('close', () => this.forget(entry));
    session.once('goaway', () => this.retire(entry));
    session.once('connect', () => session.setLocalWindowSize(4 * STREAM_WINDOW));
    entry.session = session;
    entry.connecting = undefined;
    if (entry.retired && entry.active === 0) session.close();
    return session;
  }

  private streamDone(entry: Entry): void {
    entry.active = Math.max(0, entry.active - 1);
    if (entry.active > 0) return;
    if (entry.retired) {
      entry.session?.close();
      return;
    }
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = setTimeout(() => this.retire(entry), this.idleMs);
    entry.idle.unref();
  }

  /** No new streams; the session closes once its streams are done. */
  private retire(entry: Entry): void {
    entry.retired = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = undefined;
    if (entry.active === 0) entry.session?.close();
    if (!entry.session && !entry.connecting) this.all.delete(entry);
  }

  private forget(entry: Entry): void {
    entry.retired = true;
    if (entry.idle) clearTimeout(entry.idle);
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    this.all.delete(entry);
  }
}
