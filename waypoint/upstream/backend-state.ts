// The per-backend runtime state the data path keeps: one Balancer, OutlierDetector, BackendLimits
// and pair of connection pools (HTTP/1.1 agent, HTTP/2 sessions) per backend name, and the
// per-endpoint in-flight counts least_request reads. State is recreated when the backend's policy
// changes (a push that re-sends an identical Backend keeps ejections and pooled tunnels); pools of
// replaced or removed backends retire (idle tunnels close now, busy ones after their request).

import type { Backend } from '../../pkg/api/waypoint-types';
import type { Logger } from '../../pkg/log/logger';
import type { Endpoint, TunnelDialer } from '../state/view';
import { createBalancer, type Balancer } from './balancer';
import { H1Pool } from './h1-pool';
import { H2Pool } from './h2-pool';
import { BackendLimits } from './limits';
import { OutlierDetector, type OutlierOutcome } from './outlier';

export interface BackendStateDeps {
  readonly dial: TunnelDialer;
  readonly logger: Logger;
  /** For tests: idle tunnel lifetime. */
  readonly idleMs?: number;
}

const fingerprints = new WeakMap<Backend, string>();

/** What of a Backend shapes its runtime state. */
function fingerprint(b: Backend): string {
  let f = fingerprints.get(b);
  if (f === undefined) {
    f = JSON.stringify([b.serviceKey, b.port, b.subset, b.workloadUids, b.lb, b.pool, b.outlier]);
    fingerprints.set(b, f);
  }
  return f;
}

/** Where a request's endpoint comes from: no usable endpoint is a value, not an error. */
export type EndpointPick = { readonly kind: 'endpoint'; readonly endpoint: Endpoint; readonly hostCount: number } | { readonly kind: 'none' };

export class BackendState {
  readonly balancer: Balancer;
  readonly outlier?: OutlierDetector;
  readonly limits: BackendLimits;
  readonly h1: H1Pool;
  readonly h2: H2Pool;
  private readonly active = new Map<string, number>();
  private connections = 0;
  private readonly activeOf = (uid: string): number => this.active.get(uid) ?? 0;

  constructor(readonly backend: Backend, deps: BackendStateDeps, readonly fingerprint: string) {
    this.balancer = createBalancer(backend.lb);
    if (backend.outlier) this.outlier = new OutlierDetector(backend.outlier);
    this.limits = new BackendLimits(backend.pool);
    this.h1 = new H1Pool(deps.dial, { pool: backend.pool, ...(deps.idleMs !== undefined ? { idleMs: deps.idleMs } : {}) });
    this.h2 = new H2Pool(deps.dial, backend.pool, deps.idleMs);
  }

  /** Healthy endpoints, minus ejected ones (all of them when every one is ejected), then the balancer's choice. */
  pick(endpoints: readonly Endpoint[], hashKey: string | undefined, random: () => number, nowMs: number): EndpointPick {
    const healthy = endpoints.every((e) => e.healthy) ? endpoints : endpoints.filter((e) => e.healthy);
    if (healthy.length === 0) return { kind: 'none' };
    const usable = this.outlier ? this.outlier.usable(healthy, nowMs) : healthy;
    const endpoint = this.balancer.pick(usable, { hashKey, random, active: this.activeOf });
    return endpoint ? { kind: 'endpoint', endpoint, hostCount: healthy.length } : { kind: 'none' };
  }

  /** An L4 connection through the backend (ConnectionPool.maxConnections); undefined = overflow. */
  tryStartConnection(): (() => void) | undefined {
    const max = this.backend.pool.maxConnections;
    if (max > 0 && this.connections >= max) return undefined;
    this.connections++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.connections--;
    };
  }

  /** Counts a request in flight to an endpoint; call the result when it is over (idempotent). */
  started(uid: string): () => void {
    this.active.set(uid, this.activeOf(uid) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = this.activeOf(uid) - 1;
      if (n <= 0) this.active.delete(uid);
      else this.active.set(uid, n);
    };
  }

  /** Feeds outlier detection; returns true when this outcome ejected the endpoint. */
  record(uid: string, outcome: OutlierOutcome, nowMs: number, hostCount: number): boolean {
    return this.outlier?.record(uid, outcome, nowMs, hostCount) === 'ejected';
  }

  retire(): void {
    this.h1.retire();
    this.h2.close();
  }

  destroy(): void {
    this.h1.destroy();
    this.h2.destroy();
  }
}

/** The outlier outcome of an HTTP status (Envoy: 502/503/504 are gateway errors). */
export function outlierOutcomeOf(status: number): OutlierOutcome {
  if (status === 502 || status === 503 || status === 504) return 'gateway-error';
  return status >= 500 ? '5xx' : 'success';
}

export class BackendRegistry {
  private readonly states = new Map<string, BackendState>();

  constructor(private readonly deps: BackendStateDeps) {}

  /** The state of a backend, recreated when its policy changed. */
  stateFor(backend: Backend): BackendState {
    const existing = this.states.get(backend.name);
    const f = fingerprint(backend);
    if (existing && existing.fingerprint === f) return existing;
    existing?.retire();
    const state = new BackendState(backend, this.deps, f);
    this.states.set(backend.name, state);
    return state;
  }

  /**
   * After a push: backends no longer present retire; outlier state of endpoints that are gone is
   * dropped. `current` looks a backend up by name, `endpointsOf` lists its endpoints.
   */
  refresh(current: (name: string) => Backend | undefined, endpointsOf: (b: Backend) => readonly Endpoint[]): void {
    for (const [name, state] of this.states) {
      const backend = current(name);
      // Implicit workload backends are not in the config: they retire and come back on next use.
      if (backend === undefined || fingerprint(backend) !== state.fingerprint) {
        state.retire();
        this.states.delete(name);
        continue;
      }
      state.outlier?.forget(new Set(endpointsOf(backend).map((e) => e.uid)));
    }
  }

  /** Every pool retires (graceful). */
  close(): void {
    for (const state of this.states.values()) state.retire();
  }

  /** Every pool closes now. */
  destroy(): void {
    for (const state of this.states.values()) state.destroy();
    this.states.clear();
  }
}

/** Names of the implicit backends of workload-addressed traffic. */
export const WORKLOAD_BACKEND_PREFIX = 'workload:';
