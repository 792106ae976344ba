// Push debouncing: changed names are collected per type URL and handed over in one batch once
// no change arrived for `afterMs`, or `maxMs` after the first change of the burst, whichever
// comes first (Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX). The timing rule is the pure
// `flushDelay`; the clock and timers are injected so tests step time by hand.

export interface DebounceSettings {
  readonly afterMs: number;
  readonly maxMs: number;
}

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Milliseconds from `nowMs` until a burst that began at `firstMs` and last changed at `lastMs` is due (0: now). */
export function flushDelay(nowMs: number, firstMs: number, lastMs: number, settings: DebounceSettings): number {
  const due = Math.min(lastMs + settings.afterMs, firstMs + settings.maxMs);
  return Math.max(0, due - nowMs);
}

export type Batch = ReadonlyMap<string, ReadonlySet<string>>;

export class Debouncer {
  private pending = new Map<string, Set<string>>();
  private firstMs = 0;
  private lastMs = 0;
  private timer: unknown;
  private closed = false;

  constructor(
    private readonly settings: DebounceSettings,
    private readonly flush: (batch: Batch) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Records changed names of a type; the batch is flushed after the quiet period. */
  add(typeUrl: string, names: Iterable<string>): void {
    if (this.closed) return;
    let set = this.pending.get(typeUrl);
    if (!set) {
      set = new Set();
      this.pending.set(typeUrl, set);
    }
    for (const n of names) set.add(n);
    const now = this.timers.now();
    if (this.timer === undefined) {
      this.firstMs = now;
      this.lastMs = now;
      this.arm(flushDelay(now, now, now, this.settings));
    } else {
      this.lastMs = now;
    }
  }

  /** Whether changes are waiting. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** Drops anything pending and cancels the timer. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = new Map();
  }

  private arm(ms: number): void {
    this.timer = this.timers.setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.closed) return;
    const wait = flushDelay(this.timers.now(), this.firstMs, this.lastMs, this.settings);
    if (wait > 0) {
      this.arm(wait);
      return;
    }
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size > 0) this.flush(batch);
  }
}
