// The data plane's certificate manager (ztunnel, waypoint): one certificate per workload identity, fetched on
// first need (concurrent callers share one fetch), renewed at half-life, kept and served while the
// CA is down until it expires, retried with exponential backoff, forgotten when no local workload
// uses the identity. Fetches are scheduled by FetchQueue (waiting callers first); timing decisions
// live in schedule.ts and what is reported about an identity in cert-status.ts, so this file only
// keeps the state and wires them together.
// A rotation never touches established connections: certificates are immutable objects, and an old
// one stays usable by whoever holds it; new connections get the new one.

import { ErrorCode, MeshError, describeError, isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, sameIdentity, type SpiffeId } from '../identity/spiffe';
import type { WorkloadCertificate } from '../tls/workload-cert';
import { systemClock, type Clock, type TimerHandle } from './clock';
import { certificateState, isValidAt, noCertificateError, type CertificateSnapshot } from './cert-status';
import { FetchPriority, FetchQueue } from './fetch-queue';
import { DEFAULT_BACKOFF, backoffProblem, renewalDelay, retryDelay, type BackoffOptions } from './schedule';

export type { CertificateSnapshot, CertificateState } from './cert-status';

/** Fetches a new certificate (new key) for `identity`; CaClient-backed in production (see caFetcher). */
export type CertificateFetcher = (identity: SpiffeId, ttlSeconds: number) => Promise<WorkloadCertificate>;

export interface CertificateManagerOptions {
  readonly fetcher: CertificateFetcher;
  readonly clock?: Clock;
  /** Lifetime asked of the CA; default 86400 (24 h). */
  readonly ttlSeconds?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Fetches running at once; default 8. */
  readonly concurrency?: number;
  /** Source of jitter in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** Called with the new certificate and the one it replaces (undefined for the first one). */
export type RotatedListener = (cert: WorkloadCertificate, previous: WorkloadCertificate | undefined) => void;

interface Attempt {
  priority: FetchPriority;
  running: boolean;
  readonly promise: Promise<WorkloadCertificate>;
  readonly resolve: (cert: WorkloadCertificate) => void;
  readonly reject: (err: MeshError) => void;
}

interface Entry {
  readonly identity: SpiffeId;
  readonly key: string;
  cert?: WorkloadCertificate;
  attempt?: Attempt;
  timer?: TimerHandle;
  nextRefreshAt?: number;
  failures: number;
  lastError?: MeshError;
  lastFailureAt?: number;
  removed: boolean;
}

export const DEFAULT_CERT_TTL_SECONDS = 86_400;
export const DEFAULT_FETCH_CONCURRENCY = 8;

export class CertificateManager {
  private readonly fetcher: CertificateFetcher;
  private readonly clock: Clock;
  private readonly ttlSeconds: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly queue: FetchQueue;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<RotatedListener>();
  private closed = false;

  constructor(options: CertificateManagerOptions) {
    this.fetcher = options.fetcher;
    this.clock = options.clock ?? systemClock;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_CERT_TTL_SECONDS;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.random = options.random ?? Math.random;
    const concurrency = options.concurrency ?? DEFAULT_FETCH_CONCURRENCY;
    const problems: string[] = [];
    if (!(Number.isInteger(this.ttlSeconds) && this.ttlSeconds > 0)) problems.push(`ttlSeconds must be a positive integer, got ${this.ttlSeconds}`);
    if (!(Number.isInteger(concurrency) && concurrency > 0)) problems.push(`concurrency must be a positive integer, got ${concurrency}`);
    const backoff = backoffProblem(this.backoff);
    if (backoff) problems.push(backoff);
    if (problems.length) throw new MeshError(ErrorCode.InvalidArgument, `invalid certificate manager options: ${problems.join('; ')}`);
    this.queue = new FetchQueue(concurrency);
  }

  /**
   * The certificate for `identity`: the cached one while it is valid, else the result of a fetch
   * (shared with every other caller waiting for it). Rejects with a MeshError saying why there is
   * no valid certificate (Unavailable when the CA cannot be reached).
   */
  get(identity: SpiffeId): Promise<WorkloadCertificate> {
    if (this.closed) return Promise.reject(new MeshError(ErrorCode.Unavailable, `no certificate for ${formatSpiffeId(identity)}: the certificate manager is closed`));
    const entry = this.entryFor(identity);
    const now = this.clock.now();
    if (entry.cert && isValidAt(entry.cert, now)) return Promise.resolve(entry.cert);
    if (entry.attempt) {
      this.raise(entry, FetchPriority.RealTime);
      return entry.attempt.promise;
    }
    // A fetch for this identity failed a moment ago: answer with that failure rather than hammer
    // the CA once per new connection; the scheduled retry (or a caller a little later) tries again.
    if (entry.lastFailureAt !== undefined && now - entry.lastFailureAt < this.backoff.initialMs) {
      return Promise.reject(noCertificateError(entry, now));
    }
    return this.start(entry, FetchPriority.RealTime).promise;
  }

  /** The certificate for `identity` if one is loaded and valid now; never fetches. */
  peek(identity: SpiffeId): WorkloadCertificate | undefined {
    const cert = this.entries.get(formatSpiffeId(identity))?.cert;
    return cert && isValidAt(cert, this.clock.now()) ? cert : undefined;
  }

  /** Starts fetching `identity` ahead of need (a workload with it appeared on the node). */
  prefetch(identity: SpiffeId): void {
    if (this.closed) return;
    const entry = this.entryFor(identity);
    if (entry.attempt) {
      this.raise(entry, FetchPriority.Warmup);
      return;
    }
    // A valid certificate renews itself; a failing identity already has a retry scheduled.
    if ((entry.cert && isValidAt(entry.cert, this.clock.now())) || entry.timer) return;
    this.start(entry, FetchPriority.Warmup);
  }

  /**
   * Forgets every identity not in `identities`: cancels its renewal, drops its certificate and
   * withdraws its queued fetch (whose waiters get MeshError(NotFound)). A fetch already running
   * still answers its waiters, but its result is not kept. Never starts fetches.
   */
  retain(identities: Iterable<SpiffeId>): void {
    const keep = new Set<string>();
    for (const id of identities) keep.add(formatSpiffeId(id));
    for (const entry of [...this.entries.values()]) {
      if (keep.has(entry.key)) continue;
      this.forget(entry, new MeshError(ErrorCode.NotFound, `stopped fetching a certificate for ${entry.key}: no workload on this node uses it any more`));
    }
  }

  on(event: 'rotated', listener: RotatedListener): this {
    if (event === 'rotated') this.listeners.add(listener);
    return this;
  }

  off(event: 'rotated', listener: RotatedListener): this {
    if (event === 'rotated') this.listeners.delete(listener);
    return this;
  }

  snapshot(): CertificateSnapshot[] {
    const now = this.clock.now();
    return [...this.entries.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => ({
        identity: e.key,
        state: certificateState(e, now),
        ...(e.cert ? { notBefore: e.cert.notBefore.toISOString(), notAfter: e.cert.notAfter.toISOString() } : {}),
        ...(e.nextRefreshAt !== undefined ? { nextRefreshAt: new Date(e.nextRefreshAt).toISOString() } : {}),
        fetching: e.attempt ? (e.attempt.running ? 'running' : 'queued') : 'no',
        consecutiveFailures: e.failures,
        ...(e.lastError ? { lastError: e.lastError.message } : {}),
      }));
  }

  /** Cancels every timer and queued fetch; pending get() callers are rejected. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.entries.values()]) {
      this.forget(entry, new MeshError(ErrorCode.Unavailable, `no certificate for ${entry.key}: the certificate manager is closed`));
    }
    this.listeners.clear();
  }

  private entryFor(identity: SpiffeId): Entry {
    const key = formatSpiffeId(identity);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { identity, key, failures: 0, removed: false };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private forget(entry: Entry, why: MeshError): void {
    entry.removed = true;
    this.cancelTimer(entry);
    this.entries.delete(entry.key);
    const attempt = entry.attempt;
    if (attempt && !attempt.running && this.queue.withdraw(entry.key)) {
      entry.attempt = undefined;
      attempt.reject(why);
    }
  }

  private raise(entry: Entry, priority: FetchPriority): void {
    const attempt = entry.attempt;
    if (!attempt || priority >= attempt.priority) return;
    attempt.priority = priority;
    if (!attempt.running) this.queue.raise(entry.key, priority);
  }

  private start(entry: Entry, priority: FetchPriority): Attempt {
    this.cancelTimer(entry);
    let resolve!: (cert: WorkloadCertificate) => void;
    let reject!: (err: MeshError) => void;
    const promise = new Promise<WorkloadCertificate>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Background attempts have no caller; a failure is recorded in the entry, not thrown.
    promise.catch(() => undefined);
    const attempt: Attempt = { priority, running: false, promise, resolve, reject };
    entry.attempt = attempt;
    this.queue.submit(entry.key, priority, () => this.run(entry, attempt));
    return attempt;
  }

  private async run(entry: Entry, attempt: Attempt): Promise<void> {
    attempt.running = true;
    let cert: WorkloadCertificate | undefined;
    let error: MeshError | undefined;
    try {
      cert = await this.fetcher(entry.identity, this.ttlSeconds);
      if (!sameIdentity(cert.identity, entry.identity)) {
        throw new MeshError(ErrorCode.BadCertificate, `the certificate fetched for ${entry.key} is for ${formatSpiffeId(cert.identity)}`);
      }
    } catch (err) {
      cert = undefined;
      error = isMeshError(err) ? err : new MeshError(ErrorCode.Internal, `fetching a certificate for ${entry.key} failed: ${describeError(err)}`, { cause: err });
    }
    if (entry.attempt === attempt) entry.attempt = undefined;
    const now = this.clock.now();
    if (cert) {
      this.install(entry, cert, now);
      attempt.resolve(cert);
      return;
    }
    this.recordFailure(entry, error as MeshError, now);
    if (entry.cert && isValidAt(entry.cert, now)) attempt.resolve(entry.cert);
    else attempt.reject(noCertificateError(entry, now));
  }

  private install(entry: Entry, cert: WorkloadCertificate, now: number): void {
    if (entry.removed || this.closed) return;
    const previous = entry.cert;
    entry.cert = cert;
    entry.failures = 0;
    entry.lastError = undefined;
    entry.lastFailureAt = undefined;
    this.schedule(entry, renewalDelay(cert, now), now);
    for (const listener of [...this.listeners]) {
      try {
        listener(cert, previous);
      } catch {
        // A listener's bug must not stop rotation or reach the fetch's callers.
      }
    }
  }

  private recordFailure(entry: Entry, error: MeshError, now: number): void {
    entry.failures++;
    entry.lastError = error;
    entry.lastFailureAt = now;
    if (entry.removed || this.closed) return;
    this.schedule(entry, retryDelay(entry.failures, this.backoff, entry.cert, now, this.random), now);
  }

  private schedule(entry: Entry, delayMs: number, now: number): void {
    this.cancelTimer(entry);
    entry.nextRefreshAt = now + delayMs;
    entry.timer = this.clock.setTimer(delayMs, () => {
      entry.timer = undefined;
      entry.nextRefreshAt = undefined;
      if (!entry.removed && !this.closed && !entry.attempt) this.start(entry, FetchPriority.Background);
    });
  }

  private cancelTimer(entry: Entry): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.nextRefreshAt = undefined;
  }
}
