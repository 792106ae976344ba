// Per-caller token buckets for the CA: `burst` requests at once, refilled at `perSecond`. Pure
// arithmetic over an injected clock; the key map is bounded (full, idle buckets are dropped
// first, then the oldest) so a flood of distinct callers cannot grow memory without limit.

export interface RateLimitSettings {
  readonly burst: number;
  readonly perSecond: number;
  /** Most callers tracked at once (default 10 000). */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;

  constructor(private readonly settings: RateLimitSettings, private readonly now: () => number = Date.now) {
    this.maxKeys = settings.maxKeys ?? 10_000;
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const nowMs = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key); // re-inserted below: Map order doubles as least-recently-used order
      this.refill(bucket, nowMs);
    } else {
      this.makeRoom(nowMs);
      bucket = { tokens: this.settings.burst, updatedMs: nowMs };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** How many callers are tracked (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, nowMs: number): void {
    const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(this.settings.burst, bucket.tokens + elapsed * this.settings.perSecond);
    bucket.updatedMs = nowMs;
  }

  private makeRoom(nowMs: number): void {
    if (this.buckets.size < this.maxKeys) return;
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket, nowMs);
      if (bucket.tokens >= this.settings.burst) this.buckets.delete(key);
    }
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) break;
      this.buckets.delete(oldest.value);
    }
  }
}
