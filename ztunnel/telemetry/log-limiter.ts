// Rate limit for repeated log lines: a line with a given key is let through at most once per
// interval (30 s by default), so a client retrying against a broken binding cannot flood the log.
// Pure bookkeeping with an injectable clock; the number of keys remembered is bounded.

export interface LogLimiterOptions {
  readonly intervalMs?: number; // 30 s
  /** Keys remembered at most; beyond it, expired keys are forgotten, then the oldest. */
  readonly maxKeys?: number; // 1024
  readonly now?: () => number;
}

export class LogLimiter {
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** key → when it was last let through (insertion order = oldest first). */
  private readonly last = new Map<string, number>();

  constructor(options: LogLimiterOptions = {}) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.maxKeys = Math.max(1, options.maxKeys ?? 1024);
    this.now = options.now ?? Date.now;
  }

  /** True when a line with this key may be written now (and records that it was). */
  allow(key: string): boolean {
    const now = this.now();
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.evict(now);
    this.last.set(key, now);
    return true;
  }

  private evict(now: number): void {
    for (const [key, at] of this.last) {
      if (now - at >= this.intervalMs) this.last.delete(key);
    }
    while (this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next();
      if (oldest.done === true) break;
      this.last.delete(oldest.value);
    }
  }
}
