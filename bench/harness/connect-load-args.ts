// Command-line parsing for the connect-load agent (pure). Two modes:
//   server: `--mode server --host H --port P` — a TCP echo server;
//   client: `--mode client --target H:P --concurrency C --duration S [--warmup S] [--payload N]
//            [--timeout-ms T]` — C closed loops of connect → echo → close, bounded in time.

export interface ServerConfig {
  readonly mode: 'server';
  readonly host: string;
  readonly port: number;
}

export interface ClientConfig {
  readonly mode: 'client';
  readonly target: { readonly host: string; readonly port: number };
  readonly concurrency: number;
  /** The measured window, after the warm-up. */
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly payloadBytes: number;
  /** A connection not done (connect → echo → close) within this counts as a `timeout` error. */
  readonly timeoutMs: number;
}

export type ConnectLoadConfig = ServerConfig | ClientConfig;

export const CLIENT_DEFAULTS = { warmupSeconds: 0, payloadBytes: 64, timeoutMs: 5000 } as const;
export const CLIENT_LIMITS = {
  concurrency: 1024,
  /** No run is unbounded: the whole client run (warm-up + measured) stays under this. */
  totalSeconds: 600,
  payloadBytes: 65_536,
  timeoutMs: 60_000,
} as const;

/** How long after its start a client gives up on connections still in flight and reports. */
export function hardStopMs(c: ClientConfig): number {
  return (c.warmupSeconds + c.durationSeconds) * 1000 + c.timeoutMs + 2000;
}

function hostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

function decimal(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

const SERVER_OPTIONS = new Set(['mode', 'host', 'port']);
const CLIENT_OPTIONS = new Set(['mode', 'target', 'concurrency', 'duration', 'warmup', 'payload', 'timeout-ms']);

/** Parses `--name value` pairs into a config, or returns every problem found as one message. */
export function parseConnectLoadArgs(argv: readonly string[]): ConnectLoadConfig | string {
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) return `expected --option value pairs, got '${key}'`;
    if (opts.has(key.slice(2))) return `${key} given twice`;
    opts.set(key.slice(2), value);
  }
  const mode = opts.get('mode');
  const problems: string[] = [];
  const unknown = (allowed: ReadonlySet<string>): void => {
    for (const k of opts.keys()) if (!allowed.has(k)) problems.push(`--${k} is not an option of ${mode} mode`);
  };
  if (mode === 'server') {
    unknown(SERVER_OPTIONS);
    const host = opts.get('host') ?? '';
    const port = integer(opts.get('port'));
    if (host === '' || /\s/.test(host)) problems.push('--host ADDRESS is required');
    if (port === undefined || port > 65535) problems.push(`--port wants 0..65535, got '${opts.get('port') ?? ''}'`);
    if (problems.length > 0 || port === undefined) return problems.join('; ');
    return { mode, host, port };
  }
  if (mode === 'client') {
    unknown(CLIENT_OPTIONS);
    const target = hostPort(opts.get('target') ?? '');
    const concurrency = integer(opts.get('concurrency'));
    const durationSeconds = decimal(opts.get('duration'));
    const warmupSeconds = opts.has('warmup') ? decimal(opts.get('warmup')) : CLIENT_DEFAULTS.warmupSeconds;
    const payloadBytes = opts.has('payload') ? integer(opts.get('payload')) : CLIENT_DEFAULTS.payloadBytes;
    const timeoutMs = opts.has('timeout-ms') ? integer(opts.get('timeout-ms')) : CLIENT_DEFAULTS.timeoutMs;
    if (!target) problems.push(`--target wants HOST:PORT, got '${opts.get('target') ?? ''}'`);
    if (concurrency === undefined || concurrency < 1 || concurrency > CLIENT_LIMITS.concurrency) {
      problems.push(`--concurrency wants 1..${CLIENT_LIMITS.concurrency}, got '${opts.get('concurrency') ?? ''}'`);
    }
    if (durationSeconds === undefined || durationSeconds <= 0) problems.push(`--duration wants seconds > 0, got '${opts.get('duration') ?? ''}'`);
    if (warmupSeconds === undefined) problems.push(`--warmup wants seconds >= 0, got '${opts.get('warmup') ?? ''}'`);
    if (durationSeconds !== undefined && warmupSeconds !== undefined && durationSeconds + warmupSeconds > CLIENT_LIMITS.totalSeconds) {
      problems.push(`--warmup + --duration must stay within ${CLIENT_LIMITS.totalSeconds} s`);
    }
    if (payloadBytes === undefined || payloadBytes < 1 || payloadBytes > CLIENT_LIMITS.payloadBytes) {
      problems.push(`--payload wants 1..${CLIENT_LIMITS.payloadBytes} bytes, got '${opts.get('payload') ?? ''}'`);
    }
    if (timeoutMs === undefined || timeoutMs < 10 || timeoutMs > CLIENT_LIMITS.timeoutMs) {
      problems.push(`--timeout-ms wants 10..${CLIENT_LIMITS.timeoutMs}, got '${opts.get('timeout-ms') ?? ''}'`);
    }
    if (problems.length > 0 || !target || concurrency === undefined || durationSeconds === undefined || warmupSeconds === undefined || payloadBytes === undefined || timeoutMs === undefined) {
      return problems.join('; ');
    }
    return { mode, target, concurrency, durationSeconds, warmupSeconds, payloadBytes, timeoutMs };
  }
  return `--mode must be client or server, got '${mode ?? ''}'`;
}
