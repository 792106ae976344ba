// A small Prometheus registry: counters, gauges and histograms (fixed buckets) with label sets,
// rendered in the text exposition format (version 0.0.4). Label sets are interned per metric so the hot path is a map
// lookup and an addition; the number of series per metric is capped so hostile or buggy label
// values cannot grow memory without bound (extra series are dropped and counted).

export type Labels = Readonly<Record<string, string>>;

const DEFAULT_MAX_SERIES = 10_000;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Series {
  readonly labelText: string;
  value: number;
}

abstract class Metric {
  private readonly series = new Map<string, Series>();
  dropped = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly maxSeries: number,
  ) {}

  abstract readonly type: 'counter' | 'gauge';

  protected seriesFor(labels: Labels): Series | undefined {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        this.dropped++;
        return undefined;
      }
      const labelText = this.labelNames.length
        ? `{${this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i])}"`).join(',')}}`
        : '';
      s = { labelText, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /** The value of one series (0 when absent); for tests and admin views. */
  get(labels: Labels = {}): number {
    return this.series.get(this.labelNames.map((n) => labels[n] ?? '').join('\u0000'))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) lines.push(`${this.name}${s.labelText} ${formatNumber(s.value)}`);
    return lines.join('\n');
  }
}

export class Counter extends Metric {
  readonly type = 'counter' as const;

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return;
    const s = this.seriesFor(labels);
    if (s) s.value += by;
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;

  set(labels: Labels, value: number): void {
    const s = this.seriesFor(labels);
    if (s) s.value = value;
  }

  add(labels: Labels, by: number): void {
    const s = this.seriesFor(labels);
    if (s) s.value += by;
  }
}

/** One histogram series: per-bucket counts (not cumulative), the sum and the count of observations. */
interface HistogramSeries {
  readonly labelPairs: string;
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A snapshot of one histogram series (cumulative bucket counts, as Prometheus reports them). */
export interface HistogramValue {
  readonly count: number;
  readonly sum: number;
  /** Cumulative counts, one per bucket bound (the `+Inf` bucket is `count`). */
  readonly buckets: readonly number[];
}

/** A Prometheus histogram with fixed bucket bounds; label sets interned and capped like Counter. */
export class Histogram {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, HistogramSeries>();
  readonly buckets: readonly number[];
  dropped = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    buckets: readonly number[],
    private readonly maxSeries: number,
  ) {
    const sorted = [...new Set(buckets.filter((b) => Number.isFinite(b)))].sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error(`histogram ${name} needs at least one finite bucket bound`);
    this.buckets = Object.freeze(sorted);
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) return;
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      s = {
        labelPairs: this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i])}"`).join(','),
        counts: new Array<number>(this.buckets.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    const i = this.buckets.findIndex((bound) => value <= bound);
    if (i >= 0) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** One series (undefined when never observed); for tests and admin views. */
  get(labels: Labels = {}): HistogramValue | undefined {
    const s = this.series.get(this.labelNames.map((n) => labels[n] ?? '').join('\u0000'));
    if (!s) return undefined;
    return { count: s.count, sum: s.sum, buckets: cumulative(s.counts) };
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      const sep = s.labelPairs ? ',' : '';
      const cum = cumulative(s.counts);
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket{${s.labelPairs}${sep}le="${formatNumber(bound)}"} ${cum[i]}`);
      });
      lines.push(`${this.name}_bucket{${s.labelPairs}${sep}le="+Inf"} ${s.count}`);
      const braces = s.labelPairs ? `{${s.labelPairs}}` : '';
      lines.push(`${this.name}_sum${braces} ${formatNumber(s.sum)}`);
      lines.push(`${this.name}_count${braces} ${s.count}`);
    }
    return lines.join('\n');
  }
}

function cumulative(counts: readonly number[]): number[] {
  let running = 0;
  return counts.map((c) => (running += c));
}

type RegisteredMetric = Metric | Histogram;

export class Registry {
  private readonly metrics = new Map<string, RegisteredMetric>();

  constructor(private readonly maxSeriesPerMetric = DEFAULT_MAX_SERIES) {}

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, () => new Counter(name, help, labelNames, this.maxSeriesPerMetric), Counter);
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(name, () => new Gauge(name, help, labelNames, this.maxSeriesPerMetric), Gauge);
  }

  /** A histogram with fixed bucket bounds (upper bounds; `+Inf` is added). */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.register(name, () => new Histogram(name, help, labelNames, buckets, this.maxSeriesPerMetric), Histogram);
  }

  /** Every metric in the text exposition format. */
  render(): string {
    const parts = [...this.metrics.values()].map((m) => m.render());
    return `${parts.join('\n')}\n`;
  }

  private register<T extends RegisteredMetric>(name: string, make: () => T, kind: abstract new (...args: never[]) => T): T {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing instanceof kind) return existing;
      throw new Error(`metric ${name} is already registered as a ${existing.type}`);
    }
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
