// Time for the certificate manager: a clock that tells the time and arms one-shot timers, with the
// system implementation (unref'd timers that also cope with delays beyond Node's 24.8-day limit).
// Tests inject their own clock to drive renewal and backoff without waiting.

/** A timer that can be cancelled; cancelling twice or after it fired is harmless. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `delayMs` (≥ 0). */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

/** The largest delay Node's setTimeout honours; longer ones would fire after 1 ms. */
export const MAX_TIMER_CHUNK_MS = 2 ** 31 - 1;

/**
 * Arms a timer of any length by chaining chunks of at most `maxChunkMs` (exported for tests).
 * The timers are unref'd: a pending renewal never keeps the process alive by itself.
 */
export function armLongTimer(delayMs: number, fn: () => void, maxChunkMs: number = MAX_TIMER_CHUNK_MS): TimerHandle {
  let remaining = Math.max(0, delayMs);
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (): void => {
    const chunk = Math.min(remaining, maxChunkMs);
    remaining -= chunk;
    handle = setTimeout(() => {
      if (cancelled) return;
      if (remaining > 0) arm();
      else fn();
    }, chunk);
    handle.unref();
  };
  arm();
  return {
    cancel(): void {
      cancelled = true;
      if (handle) clearTimeout(handle);
    },
  };
}

export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  setTimer: (delayMs: number, fn: () => void): TimerHandle => armLongTimer(delayMs, fn),
});
