// The building blocks of the waypoint config validation (waypoint-validate.ts,
// waypoint-validate-route.ts): the limits, a collector of `field: why` problems that stops at a
// cap, and the checks of one value (list size, integer range, percent, enum, bounded text with the
// characters HTTP allows). Pure: no I/O.

export const WAYPOINT_LIMITS = {
  services: 10_000,
  portsPerService: 1024,
  routesPerPort: 1000,
  matchesPerRoute: 64,
  headersPerMatch: 64,
  queryParamsPerMatch: 64,
  /** Entries of one set/add/remove list of a HeaderMutation. */
  headerMutations: 256,
  mirrorsPerRoute: 16,
  backendsPerRoute: 1000,
  retryOn: 32,
  backends: 10_000,
  workloadUids: 100_000,
  workloads: 100_000,
  nameBytes: 512,
  valueBytes: 8 * 1024,
  weight: 1_000_000,
  /** Timeouts, delays, intervals: at most 24 h. */
  durationMs: 24 * 60 * 60 * 1000,
  retryAttempts: 100,
  /** Problems reported before validation stops. */
  problems: 100,
} as const;

export const UINT32_MAX = 0xffff_ffff;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const SERVICE_HOSTNAME = /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_])?$/;
export const LOWER_TOKEN = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
export const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
export const CR_LF_NUL = /[\r\n\u0000]/;
// What Node's http refuses in a header value (it would throw when the waypoint sets it).
export const NOT_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export class Stop extends Error {}

/** Collects `field: why` lines; stops the walk at the cap. */
export class Problems {
  readonly list: string[] = [];
  constructor(private readonly max: number) {}
  add(field: string, why: string): false {
    this.list.push(`${field}: ${why}`);
    if (this.list.length >= this.max) {
      this.list.push(`(stopped after ${this.max} problems)`);
      throw new Stop();
    }
    return false;
  }
}

export function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

export function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function list(p: Problems, v: readonly unknown[], field: string, max: number): boolean {
  if (!Array.isArray(v)) return p.add(field, 'not a list');
  if (v.length > max) return p.add(field, `${v.length} entries (max ${max})`);
  return true;
}

export function int(p: Problems, v: number, field: string, min: number, max: number): boolean {
  if (!Number.isInteger(v) || v < min || v > max) return p.add(field, `${String(v)} (want an integer ${min}..${max})`);
  return true;
}

export function percent(p: Problems, v: number, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) p.add(field, `${String(v)} (want a number 0..100)`);
}

export function oneOf(p: Problems, v: string, field: string, allowed: readonly string[]): boolean {
  if (typeof v !== 'string' || !allowed.includes(v)) return p.add(field, `unknown value ${show(String(v))} (want one of ${allowed.join(', ')})`);
  return true;
}

export interface TextRules {
  readonly maxBytes?: number;
  readonly required?: boolean;
  readonly pattern?: RegExp;
  readonly what?: string;
  /** 'none': no control characters (default); 'header': a valid HTTP header value; 'any'. */
  readonly chars?: 'none' | 'header' | 'any';
}

export function text(p: Problems, v: string, field: string, rules: TextRules = {}): boolean {
  if (typeof v !== 'string') return p.add(field, 'not a string');
  const max = rules.maxBytes ?? WAYPOINT_LIMITS.nameBytes;
  const bytes = Buffer.byteLength(v);
  if (bytes > max) return p.add(field, `${bytes} bytes (max ${max})`);
  if (v.length === 0) return rules.required ? p.add(field, 'empty') : true;
  const chars = rules.chars ?? 'none';
  if (chars !== 'any' && CR_LF_NUL.test(v)) return p.add(field, `${show(v)} contains CR, LF or NUL`);
  if (chars === 'none' && CONTROL.test(v)) return p.add(field, `${show(v)} contains control characters`);
  if (chars === 'header' && NOT_HEADER_VALUE.test(v)) return p.add(field, `${show(v)} contains a character not allowed in an HTTP header value`);
  if (rules.pattern && !rules.pattern.test(v)) return p.add(field, `${show(v)} is not a valid ${rules.what ?? 'value'}`);
  return true;
}

export const value = (p: Problems, v: string, field: string, chars: TextRules['chars'] = 'none'): boolean =>
  text(p, v, field, { maxBytes: WAYPOINT_LIMITS.valueBytes, chars });
export const headerName = (p: Problems, v: string, field: string): boolean =>
  text(p, v, field, { required: true, pattern: LOWER_TOKEN, what: 'lower-case HTTP header name' });
export const duration = (p: Problems, v: number, field: string, min: number): boolean => int(p, v, field, min, WAYPOINT_LIMITS.durationMs);
