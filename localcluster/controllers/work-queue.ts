// A per-controller work queue: de-duplicated keys processed one at a time, failed keys retried
// with exponential backoff (conflicts promptly), so one failing key never blocks the others.

import { ApiError } from '../apiserver/errors';

export type Reconcile = (key: string) => void | Promise<void>;

export interface WorkQueueOptions {
  /** First retry delay after a failure; doubles per consecutive failure. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
}

/** Consecutive failures after which a key no longer holds `whenIdle()` (it is still retried). */
const IDLE_RETRY_LIMIT = 5;
/** Consecutive 409s retried without backoff before backing off like any other failure. */
const PROMPT_CONFLICT_RETRIES = 3;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private pumping = false;
  private stopped = false;

  constructor(readonly name: string, private readonly reconcile: Reconcile, private readonly opts: WorkQueueOptions = {}) {}

  /** Queues a key (a no-op if it is already waiting); a pending retry of it is folded in. */
  add(key: string): void {
    if (this.stopped) return;
    const timer = this.retryTimers.get(key);
    if (timer) { clearTimeout(timer); this.retryTimers.delete(key); }
    this.queued.add(key);
    this.pump();
  }

  /** Keys waiting to be processed (not counting scheduled retries). */
  get length(): number {
    return this.queued.size;
  }

  isIdle(): boolean {
    if (this.stopped) return true;
    if (this.queued.size > 0 || this.pumping) return false;
    for (const key of this.retryTimers.keys()) if ((this.failures.get(key) ?? 0) <= IDLE_RETRY_LIMIT) return false;
    return true;
  }

  /** Resolves once nothing is queued, being processed, or waiting for an early retry. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    this.queued.clear();
    this.notifyIdle();
  }

  private pump(): void {
    if (this.pumping || this.stopped || this.queued.size === 0) return;
    this.pumping = true;
    setImmediate(() => { void this.step(); });
  }

  private async step(): Promise<void> {
    const next = this.queued.values().next();
    if (!next.done && !this.stopped) {
      const key = next.value;
      this.queued.delete(key);
      try {
        await this.reconcile(key);
        this.failures.delete(key);
      } catch (err) {
        this.retry(key, err);
      }
    }
    this.pumping = false;
    if (this.queued.size > 0 && !this.stopped) this.pump();
    else this.notifyIdle();
  }

  private retry(key: string, err: unknown): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const isConflict = err instanceof ApiError && err.code === 409;
    if (!isConflict || n > PROMPT_CONFLICT_RETRIES) {
      const why = err instanceof Error ? err.message : String(err);
      (this.opts.log ?? ((l: string) => process.stderr.write(l)))(`controllers: ${this.name}: ${key}: ${why} (attempt ${n})\n`);
    }
    if (this.stopped) return;
    if (isConflict && n <= PROMPT_CONFLICT_RETRIES) {
      this.queued.add(key);
      return;
    }
    const base = this.opts.baseDelayMs ?? 50;
    const delay = Math.min(base * 2 ** (n - 1), this.opts.maxDelayMs ?? 30_000);
    const timer = setTimeout(() => {
      this.retryTimers.delete(key);
      this.add(key);
    }, delay);
    this.retryTimers.set(key, timer);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
