// The certificate manager's fetch scheduler: at most `concurrency` fetches run at once; waiting
// fetches start by priority (someone waiting > warm-up > background rotation), first come first
// served within a priority. A queued fetch can be raised to a higher priority or withdrawn.

export const FetchPriority = {
  /** A connection (a get() caller) is waiting for this certificate. */
  RealTime: 0,
  /** A workload with this identity appeared on the node; the certificate will be needed soon. */
  Warmup: 1,
  /** Renewal or retry of a certificate nobody is waiting for right now. */
  Background: 2,
} as const;
export type FetchPriority = (typeof FetchPriority)[keyof typeof FetchPriority];

const LEVELS: readonly FetchPriority[] = [FetchPriority.RealTime, FetchPriority.Warmup, FetchPriority.Background];

interface Job {
  readonly key: string;
  priority: FetchPriority;
  readonly run: () => Promise<void>;
}

export class FetchQueue {
  private readonly concurrency: number;
  // One insertion-ordered map per priority level: FIFO within a level, O(1) raise and withdraw.
  private readonly levels = new Map<FetchPriority, Map<string, Job>>(LEVELS.map((p) => [p, new Map<string, Job>()]));
  private active = 0;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  /** Fetches running now. */
  get running(): number {
    return this.active;
  }

  /** Fetches waiting for a slot. */
  get queued(): number {
    let n = 0;
    for (const level of this.levels.values()) n += level.size;
    return n;
  }

  /**
   * Queues `run` under `key` (one job per key; the caller guarantees it). `run` must not reject;
   * it starts now if a slot is free.
   */
  submit(key: string, priority: FetchPriority, run: () => Promise<void>): void {
    this.level(priority).set(key, { key, priority, run });
    this.pump();
  }

  /** Moves a queued job up to `priority` (never down); false when it is not queued. */
  raise(key: string, priority: FetchPriority): boolean {
    for (const [level, jobs] of this.levels) {
      const job = jobs.get(key);
      if (!job) continue;
      if (priority < level) {
        jobs.delete(key);
        job.priority = priority;
        this.level(priority).set(key, job);
      }
      return true;
    }
    return false;
  }

  /** Withdraws a queued job; false when it is not queued (e.g. already running). */
  withdraw(key: string): boolean {
    for (const jobs of this.levels.values()) if (jobs.delete(key)) return true;
    return false;
  }

  isQueued(key: string): boolean {
    for (const jobs of this.levels.values()) if (jobs.has(key)) return true;
    return false;
  }

  private level(priority: FetchPriority): Map<string, Job> {
    return this.levels.get(priority) as Map<string, Job>;
  }

  private next(): Job | undefined {
    for (const jobs of this.levels.values()) {
      for (const job of jobs.values()) {
        jobs.delete(job.key);
        return job;
      }
    }
    return undefined;
  }

  private pump(): void {
    while (this.active < this.concurrency) {
      const job = this.next();
      if (!job) return;
      this.active++;
      // A job is documented never to reject; should one throw anyway, the slot is still freed.
      void Promise.resolve()
        .then(job.run)
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }
}
