// Percentile and summary math for benchmark samples. Percentiles use the nearest-rank method
// (the smallest sample with at least p % of the samples at or below it), which always returns an
// observed value — the convention of HdrHistogram and most latency tools.

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
}

/** Nearest-rank percentile of an ascending array; `p` in [0, 100]. NaN for an empty array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p === 0) return sorted[0];
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}

/** Count, min, max, mean and the usual percentiles of unsorted samples (the input is not modified). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) {
    return { count: 0, min: Number.NaN, max: Number.NaN, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, p999: Number.NaN };
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    min: sorted[0],
    max: sorted[n - 1],
    mean: sum / n,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    p999: percentileSorted(sorted, 99.9),
  };
}

/** Rounds for reports: `digits` decimals, NaN and infinities become null (JSON has no NaN). */
export function round(value: number, digits: number): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `b / a - 1` as a percentage, or NaN when `a` is not a positive number. */
export function percentChange(a: number, b: number): number {
  return a > 0 ? (b / a - 1) * 100 : Number.NaN;
}
