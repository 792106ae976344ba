// A small work queue keyed by string: a key added while queued is not duplicated, a key added
// while its work runs is run again afterwards, a failed key is retried with per-key exponential
// backoff, and at most `concurrency` keys run at once. stop() cancels timers and waits for
// running work, so nothing outlives it.

import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';

export interface KeyedQueueOptions {
  readonly concurrency: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly what: string;
  readonly logger: Logger;
}

/** `retry` asks for another attempt after backoff; a thrown error does the same (and is logged). */
export type WorkOutcome = 'done' | 'retry';

export class KeyedQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly work: (key: string) => Promise<WorkOutcome>, private readonly opts: KeyedQueueOptions) {}

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) { clearTimeout(timer); this.timers.delete(key); }
    if (this.running.has(key)) { this.again.add(key); return; }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  /** Keys waiting, running or waiting to retry. */
  get size(): number {
    return this.queued.size + this.running.size + this.timers.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.opts.concurrency && this.pending.length > 0) {
      const key = this.pending.shift() as string;
      this.queued.delete(key);
      this.running.set(key, this.run(key));
    }
  }

  private async run(key: string): Promise<void> {
    let outcome: WorkOutcome;
    try {
      outcome = await this.work(key);
    } catch (err) {
      this.opts.logger.warn(`${this.opts.what} ${key}: ${describeError(err)}`);
      outcome = 'retry';
    }
    this.running.delete(key);
    if (this.stopped) return;
    if (outcome === 'done') {
      this.failures.delete(key);
      if (this.again.delete(key)) this.add(key);
    } else {
      this.again.delete(key);
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.opts.retryInitialMs * 2 ** (n - 1), this.opts.retryMaxMs);
      this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.add(key); }, delay));
    }
    this.pump();
  }
}
