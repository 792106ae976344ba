// Test support (not used by ztunnel itself): a manual clock whose timers fire only when a test
// advances it, and a scripted certificate fetcher that records calls and answers with plain
// certificate objects, so the certificate manager's decisions can be checked without waiting.

import { ErrorCode, MeshError } from '../errors/mesh-error';
import { formatSpiffeId, type SpiffeId } from '../identity/spiffe';
import type { WorkloadCertificate } from '../tls/workload-cert';
import type { Clock, TimerHandle } from './clock';

/** Lets every pending promise callback and queued job run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface FakeTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { due: this.t + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (let fired = 0; fired < 10_000; fired++) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      const next = this.timers.filter((x) => x.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.due;
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

export function fakeCertificate(identity: SpiffeId, notBefore: number, notAfter: number): WorkloadCertificate {
  return Object.freeze({
    identity,
    certChainPem: Object.freeze([`leaf for ${formatSpiffeId(identity)} from ${notBefore}`]),
    rootsPem: 'roots',
    keyPem: `key ${notBefore}`,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
}

export interface FetchCall {
  readonly identity: string;
  readonly ttlSeconds: number;
  resolve(cert?: WorkloadCertificate): void;
  reject(err: Error): void;
}

/**
 * A fetcher driven by the test. In automatic mode every call answers at once: a certificate valid
 * for the requested TTL from the clock's now, or the error in `failWith` when set. In gated mode
 * calls wait until the test resolves or rejects them.
 */
export class ScriptedFetcher {
  readonly calls: FetchCall[] = [];
  failWith: Error | undefined;
  gated = false;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  readonly fetch = (identity: SpiffeId, ttlSeconds: number): Promise<WorkloadCertificate> =>
    new Promise<WorkloadCertificate>((resolve, reject) => {
      const make = (): WorkloadCertificate => fakeCertificate(identity, this.clock.now(), this.clock.now() + ttlSeconds * 1000);
      const call: FetchCall = { identity: formatSpiffeId(identity), ttlSeconds, resolve: (cert) => resolve(cert ?? make()), reject };
      this.calls.push(call);
      if (this.gated) return;
      if (this.failWith) reject(this.failWith);
      else resolve(make());
    });

  /** The identities fetched, in call order. */
  get order(): string[] {
    return this.calls.map((c) => c.identity);
  }
}

export const caDown = (): MeshError =>
  new MeshError(ErrorCode.Unavailable, 'certificate request to the CA at 127.0.0.1:15012 failed: connect ECONNREFUSED (gRPC UNAVAILABLE)');
