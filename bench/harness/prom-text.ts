// Reads values out of a Prometheus text exposition (what /metrics serves): samples by metric name
// and labels, and the sum of a metric's series — enough to take deltas of counters around a
// measured phase. Comments, malformed lines and unparsable values are skipped.

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  LABEL_RE.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL_RE.exec(text); m; m = LABEL_RE.exec(text)) {
    Object.defineProperty(out, m[1] as string, { value: unescapeLabel(m[2] as string), enumerable: true, writable: true, configurable: true });
    consumed = LABEL_RE.lastIndex;
  }
  return consumed === text.trim().length || text.trim() === '' ? out : undefined;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : undefined;
}

export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE_RE.exec(line);
    if (!m) continue;
    const labels = parseLabels(m[3] ?? '');
    const value = parseValue(m[4] as string);
    if (!labels || value === undefined) continue;
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The sum of the samples of `name` whose labels include all of `match` (0 when none). */
export function sumSamples(samples: readonly PromSample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
