// h2load (nghttp2-client) as the fixed-rate HTTP load generator: building its command line,
// parsing its per-request log (`--log-file`: start µs since epoch, status, duration µs, tab
// separated) and the `requests:` line of its report.

export interface H2loadOptions {
  readonly url: string;
  readonly connections: number;
  /** Requests per second per connection (h2load's `--rps` is per client). */
  readonly ratePerConnection: number;
  readonly durationSeconds: number;
  readonly logFile?: string;
  /** Speak HTTP/1.1 (`--h1`) instead of HTTP/2. */
  readonly http1: boolean;
}

export function h2loadArgs(o: H2loadOptions): string[] {
  const args = [
    ...(o.http1 ? ['--h1'] : []),
    '-c', String(o.connections),
    '-t', '1',
    '--rps', String(o.ratePerConnection),
    '-D', String(o.durationSeconds),
  ];
  if (o.logFile !== undefined) args.push('--log-file', o.logFile);
  args.push(o.url);
  return args;
}

export interface H2loadLog {
  /** Durations of the requests that got a 2xx, in microseconds, in log order. */
  readonly okDurationsUs: number[];
  /** Rows with a status other than 2xx (including h2load's -1 for a failed request). */
  readonly failed: number;
  /** Lines that were not a valid row (ignored). */
  readonly malformed: number;
  /** First request start to last response end, in seconds (0 for an empty log). */
  readonly spanSeconds: number;
}

/** Parses an h2load `--log-file`. Extra columns (later h2load versions) are ignored. */
export function parseH2loadLog(text: string): H2loadLog {
  const okDurationsUs: number[] = [];
  let failed = 0;
  let malformed = 0;
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const cols = line.split('\t');
    const start = Number(cols[0]);
    const status = Number(cols[1]);
    const duration = Number(cols[2]);
    if (cols.length < 3 || !Number.isFinite(start) || !Number.isInteger(status) || !Number.isFinite(duration) || duration < 0) {
      malformed++;
      continue;
    }
    firstStart = Math.min(firstStart, start);
    lastEnd = Math.max(lastEnd, start + duration);
    if (status >= 200 && status < 300) okDurationsUs.push(duration);
    else failed++;
  }
  const spanSeconds = lastEnd > firstStart ? (lastEnd - firstStart) / 1e6 : 0;
  return { okDurationsUs, failed, malformed, spanSeconds };
}

export interface H2loadRequestCounts {
  readonly total: number;
  readonly started: number;
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errored: number;
  readonly timeout: number;
}

/** Parses `requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout`. */
export function parseH2loadRequests(stdout: string): H2loadRequestCounts | undefined {
  const line = /^requests:(.*)$/m.exec(stdout);
  if (!line) return undefined;
  const counts = new Map<string, number>();
  for (const m of line[1].matchAll(/(\d+)\s+([a-z]+)/g)) counts.set(m[2], Number(m[1]));
  const get = (k: string): number => counts.get(k) ?? 0;
  if (!counts.has('total')) return undefined;
  return {
    total: get('total'), started: get('started'), done: get('done'), succeeded: get('succeeded'),
    failed: get('failed'), errored: get('errored'), timeout: get('timeout'),
  };
}
