// Rate-limits the log line for refused CONNECTs: once per authority per interval (a minute), with
// the number of refusals since the last line, and a bounded memory of authorities so a client
// cycling through addresses cannot grow it.

export interface RefusalLogOptions {
  readonly intervalMs?: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class RefusalLog {
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly write: (line: string) => void, options: RefusalLogOptions = {}) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1024;
    this.now = options.now ?? Date.now;
  }

  /** Logs `reason` unless `key` was logged within the interval (then it is only counted). */
  refused(key: string, reason: string): void {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    if (!seen && this.last.size >= this.maxKeys) {
      for (const [k, v] of this.last) if (now - v.at >= this.intervalMs) this.last.delete(k);
      if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value as string);
    }
    const more = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more since the last line)` : '';
    this.last.set(key, { at: now, suppressed: 0 });
    this.write(`refused HBONE CONNECT: ${reason}${more}`);
  }
}
