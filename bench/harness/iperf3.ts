// iperf3 as the bulk-throughput load: command line and the fields the harness needs from its
// JSON report (`-J`).

export interface Iperf3Options {
  readonly host: string;
  readonly port: number;
  readonly seconds: number;
  readonly parallel: number;
  readonly reverse?: boolean;
}

export function iperf3ClientArgs(o: Iperf3Options): string[] {
  const args = ['-c', o.host, '-p', String(o.port), '-t', String(o.seconds), '-P', String(o.parallel), '-J', '--connect-timeout', '5000'];
  if (o.reverse) args.push('-R');
  return args;
}

export interface Iperf3Result {
  /** Bytes the receiving side got over all streams. */
  readonly bytes: number;
  readonly seconds: number;
  readonly bitsPerSecond: number;
  /** TCP retransmits on the sender (0 on loopback unless something is badly wrong). */
  readonly retransmits: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Extracts the receiver totals from `iperf3 -J` output. Returns an error message (a string) when
 * iperf3 reported an error or the report lacks the totals.
 */
export function parseIperf3Json(text: string): Iperf3Result | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return `iperf3 printed no JSON report (output starts with ${JSON.stringify(text.slice(0, 200))})`;
  }
  if (!isRecord(doc)) return 'iperf3 report is not a JSON object';
  if (typeof doc.error === 'string') return `iperf3: ${doc.error}`;
  const end = isRecord(doc.end) ? doc.end : undefined;
  const received = end && isRecord(end.sum_received) ? end.sum_received : undefined;
  const sent = end && isRecord(end.sum_sent) ? end.sum_sent : undefined;
  const bytes = num(received?.bytes);
  const seconds = num(received?.seconds);
  const bps = num(received?.bits_per_second);
  if (bytes === undefined || seconds === undefined || bps === undefined) return 'iperf3 report has no end.sum_received totals';
  return { bytes, seconds, bitsPerSecond: bps, retransmits: num(sent?.retransmits) ?? 0 };
}
