// Passive health checking of a backend's endpoints (DestinationRule outlierDetection) with
// Envoy's consecutive-error semantics; time is a parameter, nothing runs on a timer.
//
// - '5xx' counts toward consecutive5xx and breaks a run of gateway errors; 'gateway-error' (502,
//   503, 504, connect failure, reset, timeout) counts toward both limits; 'success' resets both.
//   Reaching a limit resets that counter and ejects the endpoint if the cap allows.
// - Cap (current Envoy): eject only if 100 × (ejected + 1) / hostCount ≤ maxEjectionPercent. With
//   Istio's default of 10 % that means no ejection below 10 endpoints; a DestinationRule that
//   wants one of two endpoints ejected sets maxEjectionPercent ≥ 50. A blocked ejection is not
//   retried until the limit is reached again.
// - Ejection time: baseEjectionMs × the endpoint's ejection multiplier, capped at
//   max(300 s, baseEjectionMs) (Envoy's max_ejection_time default). The multiplier grows by one per
//   ejection (up to the cap) and shrinks by one per intervalMs the endpoint stays un-ejected.
//   Envoy un-ejects on its next interval tick; here the ejection ends exactly when its time is up.
// - Counters restart from zero when an ejection ends; results reported while ejected are ignored.

import type { OutlierDetection } from '../../pkg/api/waypoint-types';

export type OutlierOutcome = 'success' | '5xx' | 'gateway-error';

/** Envoy's default max_ejection_time. */
export const MAX_EJECTION_MS = 300_000;

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejected: boolean;
  ejectedUntil: number;
  /** Ejection multiplier (Envoy's eject time backoff). */
  multiplier: number;
  /** Start of the current decay interval of the multiplier. */
  decayFrom: number;
}

export class OutlierDetector {
  private readonly hosts = new Map<string, HostState>();
  private ejectedCount = 0;
  /** No ejection ends before this (a lower bound; Infinity when none is active). */
  private nextExpiry = Infinity;
  /** Changes whenever the set of ejected endpoints may have changed. */
  private version = 0;
  private usableCache: { source: readonly unknown[]; version: number; result: readonly unknown[] } | undefined;

  constructor(private readonly config: OutlierDetection) {}

  private get maxEjectionMs(): number {
    return Math.max(MAX_EJECTION_MS, this.config.baseEjectionMs);
  }

  /** Brings one endpoint's state up to `nowMs`: ends an expired ejection, decays the multiplier. */
  private settle(s: HostState, nowMs: number): void {
    if (s.ejected) {
      if (nowMs < s.ejectedUntil) return;
      s.ejected = false;
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      s.decayFrom = s.ejectedUntil;
      this.ejectedCount--;
      this.version++;
    }
    const interval = this.config.intervalMs;
    if (s.multiplier > 0 && interval > 0 && nowMs > s.decayFrom) {
      const steps = Math.floor((nowMs - s.decayFrom) / interval);
      if (steps > 0) {
        s.multiplier = Math.max(0, s.multiplier - steps);
        s.decayFrom += steps * interval;
      }
    }
  }

  /** Settles every endpoint once an ejection may have ended. */
  private sweep(nowMs: number): void {
    if (nowMs < this.nextExpiry) return;
    let next = Infinity;
    for (const s of this.hosts.values()) {
      this.settle(s, nowMs);
      if (s.ejected && s.ejectedUntil < next) next = s.ejectedUntil;
    }
    this.nextExpiry = next;
  }

  private stateOf(uid: string, nowMs: number): HostState {
    let s = this.hosts.get(uid);
    if (s === undefined) {
      s = { consecutive5xx: 0, consecutiveGateway: 0, ejected: false, ejectedUntil: 0, multiplier: 0, decayFrom: nowMs };
      this.hosts.set(uid, s);
    } else {
      this.settle(s, nowMs);
    }
    return s;
  }

  private tryEject(s: HostState, nowMs: number, hostCount: number): boolean {
    this.sweep(nowMs);
    const percent = Math.min(100, Math.max(0, this.config.maxEjectionPercent));
    const hosts = Math.max(1, hostCount);
    if ((100 * (this.ejectedCount + 1)) / hosts > percent) return false;
    const base = Math.max(0, this.config.baseEjectionMs);
    const max = this.maxEjectionMs;
    if (s.multiplier * base < max + base) s.multiplier++;
    s.ejected = true;
    s.ejectedUntil = nowMs + Math.min(base * s.multiplier, max);
    this.ejectedCount++;
    this.version++;
    if (s.ejectedUntil < this.nextExpiry) this.nextExpiry = s.ejectedUntil;
    return true;
  }

  /**
   * Records the result of one request to `uid`. Returns 'ejected' when this result ejected it.
   * `hostCount` is the backend's endpoint count (for the ejection cap).
   */
  record(uid: string, outcome: OutlierOutcome, nowMs: number, hostCount: number): 'ejected' | undefined {
    const s = this.stateOf(uid, nowMs);
    if (outcome === 'success') {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return undefined;
    }
    if (s.ejected) return undefined;
    s.consecutive5xx++;
    if (outcome === 'gateway-error') s.consecutiveGateway++;
    else s.consecutiveGateway = 0;
    let detected = false;
    const gwLimit = this.config.consecutiveGatewayErrors;
    if (gwLimit > 0 && s.consecutiveGateway >= gwLimit) {
      s.consecutiveGateway = 0;
      detected = true;
    }
    const limit5xx = this.config.consecutive5xx;
    if (limit5xx > 0 && s.consecutive5xx >= limit5xx) {
      s.consecutive5xx = 0;
      detected = true;
    }
    return detected && this.tryEject(s, nowMs, hostCount) ? 'ejected' : undefined;
  }

  isEjected(uid: string, nowMs: number): boolean {
    const s = this.hosts.get(uid);
    if (s === undefined || !s.ejected) return false;
    this.settle(s, nowMs);
    return s.ejected;
  }

  /** The endpoints not ejected; all of them when every one is ejected (panic). */
  usable<E extends { readonly uid: string }>(endpoints: readonly E[], nowMs: number): readonly E[] {
    this.sweep(nowMs);
    if (this.ejectedCount === 0) return endpoints;
    const cache = this.usableCache;
    if (cache !== undefined && cache.source === endpoints && cache.version === this.version) {
      return cache.result as readonly E[];
    }
    const result = endpoints.filter((e) => !this.isEjected(e.uid, nowMs));
    const usable = result.length === 0 ? endpoints : result;
    this.usableCache = { source: endpoints, version: this.version, result: usable };
    return usable;
  }

  /** Uids ejected at `nowMs`. */
  ejected(nowMs: number): readonly string[] {
    this.sweep(nowMs);
    const out: string[] = [];
    for (const [uid, s] of this.hosts) if (s.ejected) out.push(uid);
    return out;
  }

  /** Drops the state of endpoints that are gone (keeps only `keep`). */
  forget(keep: ReadonlySet<string>): void {
    for (const [uid, s] of this.hosts) {
      if (keep.has(uid)) continue;
      if (s.ejected) this.ejectedCount--;
      this.hosts.delete(uid);
      this.version++;
    }
  }
}
