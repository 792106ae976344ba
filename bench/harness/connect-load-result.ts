// What the connect-load client counts and the one JSON line it prints (pure): a growable latency
// buffer (no allocation per sample), error counts by kind, the phases of a run (warm-up, measured,
// tail), the result built from them, and the strict parser the scenarios read that line with.

import { round, summarize } from './stats';

/** Latency samples in ms, kept in a Float64Array that doubles when full. */
export class LatencyRecorder {
  private buf: Float64Array;
  private n = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Float64Array(Math.max(16, initialCapacity));
  }

  add(ms: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

/** Error kinds a user sees: the socket error code (ECONNREFUSED, ECONNRESET, …) or one of these. */
export const ERROR_KIND = {
  /** The connection did not finish within the per-connection timeout. */
  timeout: 'timeout',
  /** Closed before the whole payload came back. */
  shortEcho: 'short-echo',
  /** Bytes came back that were not the payload (or more than it). */
  badEcho: 'bad-echo',
  /** Still in flight when the run's hard stop fired. */
  hardStop: 'hard-stop',
  /** An error without a code. */
  other: 'other',
} as const;

/** The kind of a socket error: its `code` when it looks like an errno name, else `other`. */
export function errorKind(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]{1,60}$/.test(code)) return code;
  }
  return ERROR_KIND.other;
}

export class ErrorCounts {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  add(kind: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.sum++;
  }

  get total(): number {
    return this.sum;
  }

  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export type Phase = 'warmup' | 'measured' | 'tail';

/** The phase an event at `t` (ms since start) falls into: [0, warmup) [warmup, warmup+duration) [after). */
export function phaseAt(tMs: number, warmupSeconds: number, durationSeconds: number): Phase {
  if (tMs < warmupSeconds * 1000) return 'warmup';
  return tMs < (warmupSeconds + durationSeconds) * 1000 ? 'measured' : 'tail';
}

export interface LatencyMs {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

export interface PhaseCounts {
  readonly completed: number;
  readonly errors: Readonly<Record<string, number>>;
}

export interface ConnectLoadResult {
  readonly target: string;
  readonly concurrency: number;
  readonly payloadBytes: number;
  readonly warmupSeconds: number;
  readonly measuredSeconds: number;
  /** Connections completed (connect → full echo → clean close) inside the measured window. */
  readonly completed: number;
  /** Errors inside the measured window, by kind. */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorTotal: number;
  /** completed ÷ measuredSeconds. */
  readonly connectionsPerSecond: number | null;
  /** connect() → last echoed byte, over the measured window's completed connections. */
  readonly latencyMs: LatencyMs;
  readonly warmup: PhaseCounts;
  /** Connections that finished after the measured window ended (in flight at its end). */
  readonly tail: PhaseCounts;
  /** Every connection of the run, all phases: what the tunnels' CPU over the whole run paid for. */
  readonly all: PhaseCounts;
  /** True when the hard stop had to cut connections still in flight. */
  readonly hardStopped: boolean;
}

export interface ResultInput {
  readonly target: string;
  readonly concurrency: number;
  readonly payloadBytes: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly completed: Readonly<Record<Phase, number>>;
  readonly errors: Readonly<Record<Phase, ErrorCounts>>;
  readonly latencies: ArrayLike<number>;
  readonly hardStopped: boolean;
}

function sumCounts(parts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p)) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function buildResult(r: ResultInput): ConnectLoadResult {
  const s = summarize(r.latencies);
  const ms = (v: number): number | null => round(v, 3);
  const errs = { warmup: r.errors.warmup.toObject(), measured: r.errors.measured.toObject(), tail: r.errors.tail.toObject() };
  return {
    target: r.target,
    concurrency: r.concurrency,
    payloadBytes: r.payloadBytes,
    warmupSeconds: r.warmupSeconds,
    measuredSeconds: r.durationSeconds,
    completed: r.completed.measured,
    errors: errs.measured,
    errorTotal: r.errors.measured.total,
    connectionsPerSecond: r.durationSeconds > 0 ? round(r.completed.measured / r.durationSeconds, 1) : null,
    latencyMs: { p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max), mean: ms(s.mean) },
    warmup: { completed: r.completed.warmup, errors: errs.warmup },
    tail: { completed: r.completed.tail, errors: errs.tail },
    all: { completed: r.completed.warmup + r.completed.measured + r.completed.tail, errors: sumCounts([errs.warmup, errs.measured, errs.tail]) },
    hardStopped: r.hardStopped,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNumOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const isCounts = (v: unknown): v is Record<string, number> => isObject(v) && Object.values(v).every(isCount);
const isPhase = (v: unknown): v is PhaseCounts => isObject(v) && isCount(v.completed) && isCounts(v.errors);

/**
 * The client's result from its stdout: the last line that is a JSON object, checked field by
 * field. Returns a message saying what is wrong instead of throwing.
 */
export function parseConnectLoadResult(stdout: string): ConnectLoadResult | string {
  const line = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{')).pop();
  if (line === undefined) return `no result line in the client's output${stdout.trim() ? `: ${stdout.trim().slice(-300)}` : ' (it printed nothing)'}`;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return `the client's result line is not JSON: ${line.slice(0, 300)}`;
  }
  if (!isObject(v)) return 'the client\'s result is not an object';
  const bad: string[] = [];
  if (typeof v.target !== 'string') bad.push('target');
  for (const k of ['concurrency', 'payloadBytes', 'completed', 'errorTotal'] as const) if (!isCount(v[k])) bad.push(k);
  for (const k of ['warmupSeconds', 'measuredSeconds'] as const) if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) bad.push(k);
  if (!isCounts(v.errors)) bad.push('errors');
  if (!isNumOrNull(v.connectionsPerSecond)) bad.push('connectionsPerSecond');
  const lat = v.latencyMs;
  if (!isObject(lat) || !['p50', 'p90', 'p99', 'max', 'mean'].every((k) => isNumOrNull(lat[k]))) bad.push('latencyMs');
  for (const k of ['warmup', 'tail', 'all'] as const) if (!isPhase(v[k])) bad.push(k);
  if (typeof v.hardStopped !== 'boolean') bad.push('hardStopped');
  if (bad.length > 0) return `the client's result has missing or malformed fields: ${bad.join(', ')}`;
  return v as unknown as ConnectLoadResult;
}
