// Circuit breaking for one backend (DestinationRule connectionPool): concurrent requests,
// concurrent retries and requests queued for a connection, each refused once at its limit
// (0 = unlimited, as in the model). A successful try returns a release function; releasing twice
// is harmless. Connection counts (maxConnections, maxRequestsPerConnection) belong to the
// connection pool, which reads them from `pool`.

import type { ConnectionPool } from '../../pkg/api/waypoint-types';

type Counter = 'requests' | 'retries' | 'pending';

export class BackendLimits {
  private readonly counts: Record<Counter, number> = { requests: 0, retries: 0, pending: 0 };

  constructor(private pool: ConnectionPool) {}

  /** The limits in force. */
  get connectionPool(): ConnectionPool {
    return this.pool;
  }

  /** New limits (a config push); what is in flight stays counted and is released as usual. */
  setPool(pool: ConnectionPool): void {
    this.pool = pool;
  }

  get activeRequests(): number {
    return this.counts.requests;
  }

  get activeRetries(): number {
    return this.counts.retries;
  }

  get pendingRequests(): number {
    return this.counts.pending;
  }

  private tryStart(counter: Counter, limit: number): (() => void) | undefined {
    if (limit > 0 && this.counts[counter] >= limit) return undefined;
    this.counts[counter]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.counts[counter]--;
    };
  }

  /** A request to the backend (maxRequests); undefined = overflow, answer 503. */
  tryStartRequest(): (() => void) | undefined {
    return this.tryStart('requests', this.pool.maxRequests);
  }

  /** A retry in progress (maxRetries); undefined = do not retry. */
  tryStartRetry(): (() => void) | undefined {
    return this.tryStart('retries', this.pool.maxRetries);
  }

  /** A request waiting for a connection (maxPendingRequests); undefined = overflow, answer 503. */
  tryQueue(): (() => void) | undefined {
    return this.tryStart('pending', this.pool.maxPendingRequests);
  }
}
