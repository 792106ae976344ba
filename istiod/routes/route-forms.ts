// The value forms the traffic resources share, read strictly from untrusted objects (pure): bounded
// text, integers, ports, percentages, durations ("1.5s", "500ms", "1m30s" — Go/Gateway API
// syntax, converted to whole milliseconds), HTTP header names (lower-cased) and values, paths,
// methods, hostnames and regexes (pkg/api/safe-regex.ts: what the waypoint may run). Every
// problem goes to the FieldReport with the field path; a reader returns undefined on a problem.

import { regexProblem } from '../../pkg/api/safe-regex';
import { WAYPOINT_LIMITS } from '../../pkg/api/waypoint-validate';
import { type FieldReport, show } from '../policy/field-report';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// What Node's http refuses in a header value.
const NOT_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const HOST = /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const DURATION_PART = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/y;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${show(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export interface TextRules {
  /** Bytes (UTF-8); default 1024. */
  readonly max?: number;
  readonly allowEmpty?: boolean;
  /** Control characters are refused unless this is set. */
  readonly allowControl?: boolean;
}

/** An optional string; undefined/null → undefined. */
export function readText(value: unknown, path: string, report: FieldReport, rules: TextRules = {}): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    report.problem(path, `must be a string, found ${describe(value)}`);
    return undefined;
  }
  if (value === '') {
    if (rules.allowEmpty) return value;
    report.problem(path, 'must not be empty');
    return undefined;
  }
  const max = rules.max ?? 1024;
  const bytes = Buffer.byteLength(value);
  if (bytes > max) {
    report.problem(path, `${bytes} bytes (at most ${max})`);
    return undefined;
  }
  if (!rules.allowControl && CONTROL.test(value)) {
    report.problem(path, `${show(value)} contains control characters`);
    return undefined;
  }
  return value;
}

/** A required string: absent is a problem too. */
export function requireText(value: unknown, path: string, report: FieldReport, rules: TextRules = {}): string | undefined {
  if (value === undefined || value === null) {
    report.problem(path, 'is required');
    return undefined;
  }
  return readText(value, path, report, rules);
}

/** An optional integer in [min, max]. */
export function readInt(value: unknown, path: string, report: FieldReport, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    report.problem(path, `must be an integer from ${min} to ${max}, found ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function readPort(value: unknown, path: string, report: FieldReport): number | undefined {
  return readInt(value, path, report, 1, 65535);
}

export function readBool(value: unknown, path: string, report: FieldReport): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    report.problem(path, `must be true or false, found ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** A percentage 0–100 (fractions allowed). */
export function readPercent(value: unknown, path: string, report: FieldReport): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    report.problem(path, `must be a number from 0 to 100, found ${describe(value)}`);
    return undefined;
  }
  return value;
}

/**
 * A duration as milliseconds: "10s", "1.5s", "500ms", "1m30s", "1h" (Go's syntax, which covers
 * Gateway API's and Istio's). Fractions of a millisecond round up; 0 is allowed (callers decide
 * what "0s" means); at most 24 h.
 */
export function parseDuration(text: string): { readonly ms: number } | { readonly error: string } {
  if (text.length === 0 || text.length > 64) return { error: 'is not a duration' };
  let total = 0;
  let at = 0;
  while (at < text.length) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(text);
    if (!m || m.index !== at) {
      return { error: `${show(text)} is not a duration (a number with a unit h, m, s or ms, such as "1.5s", "500ms" or "1m30s")` };
    }
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    at += m[0].length;
  }
  if (!Number.isFinite(total)) return { error: `${show(text)} is too long a duration` };
  const ms = total <= 0 ? 0 : Math.max(1, Math.ceil(total - 1e-9));
  if (ms > WAYPOINT_LIMITS.durationMs) return { error: `${show(text)} is longer than 24h` };
  return { ms };
}

/** An optional duration; `min` (ms) applies to non-zero values unless `allowZero` is false. */
export function readDuration(value: unknown, path: string, report: FieldReport, opts: { readonly allowZero: boolean } = { allowZero: true }): number | undefined {
  const text = readText(value, path, report, { max: 64 });
  if (text === undefined) return undefined;
  const parsed = parseDuration(text);
  if ('error' in parsed) {
    report.problem(path, parsed.error);
    return undefined;
  }
  if (parsed.ms === 0 && !opts.allowZero) {
    report.problem(path, 'must be at least 1ms');
    return undefined;
  }
  return parsed.ms;
}

/** An HTTP header name (a token, no pseudo-headers), lower-cased. */
export function readHeaderName(value: unknown, path: string, report: FieldReport): string | undefined {
  const text = requireText(value, path, report, { max: 256 });
  if (text === undefined) return undefined;
  if (!TOKEN.test(text)) {
    report.problem(path, `${show(text)} is not an HTTP header name`);
    return undefined;
  }
  return text.toLowerCase();
}

/** An HTTP header value that Node can send (no CR, LF, NUL or other controls but tab). */
export function readHeaderValue(value: unknown, path: string, report: FieldReport, allowEmpty = false): string | undefined {
  const text = readText(value, path, report, { max: WAYPOINT_LIMITS.valueBytes, allowEmpty, allowControl: true });
  if (text === undefined) {
    if (value === undefined || value === null) report.problem(path, 'is required');
    return undefined;
  }
  if (NOT_HEADER_VALUE.test(text)) {
    report.problem(path, `${show(text)} contains a character not allowed in an HTTP header value`);
    return undefined;
  }
  return text;
}

/** A path for an exact/prefix match or a replacement: starts with "/", no whitespace, "?" or "#". */
export function readPathValue(value: unknown, path: string, report: FieldReport): string | undefined {
  const text = requireText(value, path, report, { max: WAYPOINT_LIMITS.valueBytes });
  if (text === undefined) return undefined;
  if (!text.startsWith('/')) report.problem(path, `${show(text)} must start with "/"`);
  else if (/[\s?#]/.test(text)) report.problem(path, `${show(text)} must not contain whitespace, "?" or "#"`);
  else return text;
  return undefined;
}

/** A regex the waypoint may run (anchored, linear-ish, no backreferences or lookaround). */
export function readRegex(value: unknown, path: string, report: FieldReport): string | undefined {
  const text = requireText(value, path, report, { max: 4096 });
  if (text === undefined) return undefined;
  const why = regexProblem(text);
  if (why) {
    report.problem(path, why);
    return undefined;
  }
  return text;
}

/** An HTTP method, upper-cased. */
export function readMethod(value: unknown, path: string, report: FieldReport): string | undefined {
  const text = readText(value, path, report, { max: 64 });
  if (text === undefined) return undefined;
  if (!TOKEN.test(text)) {
    report.problem(path, `${show(text)} is not an HTTP method`);
    return undefined;
  }
  return text.toUpperCase();
}

/** A hostname (no port) for a redirect or rewrite. */
export function readHostname(value: unknown, path: string, report: FieldReport): string | undefined {
  const text = readText(value, path, report, { max: 253 });
  if (text === undefined) return undefined;
  if (!HOST.test(text)) {
    report.problem(path, `${show(text)} is not a hostname`);
    return undefined;
  }
  return text;
}

/** Regex metacharacters escaped, for building a pattern around a literal. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
