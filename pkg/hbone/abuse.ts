// Per-connection protocol-abuse accounting (pure): HTTP/2 Rapid Reset (CVE-2023-44487) and the
// "MadeYouReset" variant. A stream that ends in RST_STREAM — from either side — before the server
// answered it is "premature"; too many in a sliding window, when they are also most of the streams
// the peer opened, marks the connection abusive. Time is passed in, so tests need no clock.

export interface ResetLimits {
  /** Premature resets tolerated within the window. */
  readonly maxPrematureResets: number;
  readonly windowMs: number;
}

export class PrematureResetCounter {
  private readonly limits: ResetLimits;
  // Ring of timestamps (ms) of recent events, pruned lazily.
  private readonly resets: number[] = [];
  private readonly opened: number[] = [];

  constructor(limits: ResetLimits) {
    this.limits = limits;
  }

  /** Records a stream the peer opened. */
  streamOpened(nowMs: number): void {
    this.opened.push(nowMs);
    this.prune(nowMs);
  }

  /**
   * Records a premature reset; returns true when the connection is now abusive: more than the
   * allowed resets in the window and at least half of the streams opened in it were reset.
   */
  prematureReset(nowMs: number): boolean {
    this.resets.push(nowMs);
    this.prune(nowMs);
    return this.resets.length > this.limits.maxPrematureResets && this.resets.length * 2 >= this.opened.length;
  }

  get recentResets(): number {
    return this.resets.length;
  }

  private prune(nowMs: number): void {
    const cutoff = nowMs - this.limits.windowMs;
    dropOlder(this.resets, cutoff);
    dropOlder(this.opened, cutoff);
    // Hard cap on memory regardless of the clock: keep the newest entries only.
    const cap = Math.max(1000, this.limits.maxPrematureResets * 4);
    if (this.opened.length > cap) this.opened.splice(0, this.opened.length - cap);
    if (this.resets.length > cap) this.resets.splice(0, this.resets.length - cap);
  }
}

function dropOlder(times: number[], cutoff: number): void {
  let n = 0;
  while (n < times.length && (times[n] as number) < cutoff) n++;
  if (n > 0) times.splice(0, n);
}
