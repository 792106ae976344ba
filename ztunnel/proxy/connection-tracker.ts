// The proxies' open connections: counts per direction (stats), an abort signal per connection
// (set when the client goes away, the drain deadline passes or a policy re-check denies it; the
// streams are reset), what an inbound connection was admitted as and its telemetry records (for
// re-checks), and the drain on shutdown — wait for open connections up to a deadline, then abort
// their setup and tear their streams down.

import type { Duplex } from 'node:stream';
import { abortDuplex } from '../../pkg/hbone/splice';
import type { ConnectionRecord } from '../telemetry/tcp-metrics';
import type { AuthorizationRequest } from './authorize';

export type TrackedDirection = 'outbound' | 'inbound';

/** After the deadline has torn everything down, how long shutdown still waits for handlers. */
const AFTER_DEADLINE_WAIT_MS = 1_000;

export class TrackedConnection {
  private readonly controller = new AbortController();
  private readonly streams = new Set<Duplex>();
  private finished = false;
  private splicing = false;
  private admittedAs: AuthorizationRequest | undefined;
  private admittedRecords: readonly ConnectionRecord[] = [];

  constructor(
    readonly direction: TrackedDirection,
    private readonly onDone: (conn: TrackedConnection) => void,
  ) {}

  /** Aborted when the connection must stop (client gone, shutdown deadline, a policy re-check); the reason says why. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A stream to reset if the connection is aborted. */
  add(stream: Duplex): void {
    if (this.controller.signal.aborted) abortDuplex(stream);
    else this.streams.add(stream);
  }

  /**
   * The inbound connection was admitted by authorization as `request` (re-checked when policy
   * changes); `records` are its telemetry records, told if a re-check closes it.
   */
  admitted(request: AuthorizationRequest, records: readonly ConnectionRecord[]): void {
    this.admittedAs = request;
    this.admittedRecords = records;
  }

  /** A re-check allowed the connection again, now as `request`. */
  reauthorized(request: AuthorizationRequest): void {
    this.admittedAs = request;
  }

  /** The telemetry records of an admitted connection. */
  get records(): readonly ConnectionRecord[] {
    return this.admittedRecords;
  }

  /** What the connection was admitted as, for inbound connections past authorization. */
  get admission(): AuthorizationRequest | undefined {
    return this.admittedAs;
  }

  /** Bytes are flowing: from now on only the splice (or the shutdown deadline) ends the connection. */
  startSplicing(): void {
    this.splicing = true;
  }

  /** The client went away: stop a connect still in progress (a running splice handles it itself). */
  clientGone(reason: string): void {
    if (!this.splicing) this.abort(reason);
  }

  abort(reason: string): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(new Error(reason));
    for (const stream of this.streams) abortDuplex(stream);
  }

  /** The handler is finished with this connection (idempotent). */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.streams.clear();
    this.admittedRecords = [];
    this.onDone(this);
  }
}

export class ConnectionTracker {
  private readonly open = new Set<TrackedConnection>();
  private readonly counts: Record<TrackedDirection, number> = { outbound: 0, inbound: 0 };
  private idleWaiters: (() => void)[] = [];
  private closingFlag = false;

  get closing(): boolean {
    return this.closingFlag;
  }

  count(direction: TrackedDirection): number {
    return this.counts[direction];
  }

  track(direction: TrackedDirection): TrackedConnection {
    const conn = new TrackedConnection(direction, (gone) => {
      if (!this.open.delete(gone)) return;
      this.counts[gone.direction]--;
      if (this.open.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });
    this.open.add(conn);
    this.counts[direction]++;
    return conn;
  }

  /** The open connections admitted by authorization (a snapshot). */
  admittedConnections(): TrackedConnection[] {
    return [...this.open].filter((c) => c.admission !== undefined && !c.signal.aborted);
  }

  /** Stops new connections, waits up to `timeoutMs` for open ones, then aborts what is left. */
  async drain(timeoutMs: number): Promise<void> {
    this.closingFlag = true;
    if (await this.idleWithin(timeoutMs)) return;
    for (const conn of [...this.open]) conn.abort('the proxy is shutting down');
    await this.idleWithin(AFTER_DEADLINE_WAIT_MS);
  }

  private idleWithin(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, Math.max(0, ms));
      this.idleWaiters.push(wake);
    });
  }
}
