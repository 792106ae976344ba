// Reconnect backoff of the xDS client: exponential from `initialMs` to `maxMs`, with "equal
// jitter" (each delay is between half and all of the current step), reset after a stream delivers
// a response. Pure: the random source is injectable.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_XDS_BACKOFF: BackoffOptions = { initialMs: 10, maxMs: 15_000 };

export class Backoff {
  private step: number;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_XDS_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(options.initialMs > 0 && options.maxMs >= options.initialMs)) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${options.initialMs} and ${options.maxMs}`);
    }
    this.step = options.initialMs;
  }

  /** The delay before the next attempt; each call doubles the step up to maxMs. */
  next(): number {
    const step = this.step;
    this.step = Math.min(this.step * 2, this.options.maxMs);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  reset(): void {
    this.step = this.options.initialMs;
  }
}
