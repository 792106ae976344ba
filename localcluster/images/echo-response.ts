// Pure logic of the `ambit/echo` sample app: the query directives (?status, ?delay, ?size) and the
// JSON reply describing the request and the pod that answered it.
import type { PodIdentity } from './sample-app-env';

export const ECHO_LIMITS = {
  /** ?delay is clamped to this many milliseconds. */
  maxDelayMs: 30_000,
  /** ?size is clamped to this many bytes (16 MiB). */
  maxSizeBytes: 16 * 1024 * 1024,
} as const;

export interface EchoDirectives {
  /** Response status code (?status=, default 200). */
  status: number;
  /** Wait this long before answering (?delay=, default 0). */
  delayMs: number;
  /** When set (?size=), the body is exactly this many filler bytes instead of the JSON reply. */
  sizeBytes: number | null;
}

export type DirectivesResult = { ok: true; directives: EchoDirectives } | { ok: false; error: string };

/** Everything the reply says about a request; `query` only when the URL had one. */
export interface EchoReply {
  pod: string;
  namespace: string;
  version: string;
  node: string;
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  source: string;
  host: string;
  bodyBytes: number;
}

export interface EchoRequestFacts {
  method: string;
  /** The request target as received (origin form `/a?b` or absolute form `http://h/a?b`). */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  source: string;
  bodyBytes: number;
}

/** Splits a request target into path and query; tolerant of absolute-form and `*` targets. */
export function splitTarget(url: string): { path: string; search: URLSearchParams } {
  try {
    const parsed = new URL(url, 'http://request.invalid');
    return { path: parsed.pathname, search: parsed.searchParams };
  } catch {
    return { path: url, search: new URLSearchParams() };
  }
}

function nonNegativeInteger(name: string, raw: string | null): number | null | string {
  if (raw === null) return null;
  if (!/^\d+$/.test(raw.trim())) return `${name} must be a non-negative integer, got "${raw}"`;
  return Number(raw.trim());
}

/** Reads ?status, ?delay (ms, clamped to 30 s) and ?size (bytes, clamped to 16 MiB). */
export function parseDirectives(search: URLSearchParams): DirectivesResult {
  const status = nonNegativeInteger('status', search.get('status'));
  const delay = nonNegativeInteger('delay', search.get('delay'));
  const size = nonNegativeInteger('size', search.get('size'));
  const errors = [status, delay, size].filter((v): v is string => typeof v === 'string');
  if (typeof status === 'number' && (status < 200 || status > 599)) {
    errors.push(`status must be between 200 and 599, got ${status}`);
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return {
    ok: true,
    directives: {
      status: typeof status === 'number' ? status : 200,
      delayMs: Math.min(typeof delay === 'number' ? delay : 0, ECHO_LIMITS.maxDelayMs),
      sizeBytes: typeof size === 'number' ? Math.min(size, ECHO_LIMITS.maxSizeBytes) : null,
    },
  };
}

function queryObject(search: URLSearchParams): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function buildReply(identity: PodIdentity, req: EchoRequestFacts): EchoReply {
  const { path, search } = splitTarget(req.url);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  const hostHeader = req.headers.host ?? req.headers[':authority'];
  const query = queryObject(search);
  return {
    pod: identity.pod,
    namespace: identity.namespace,
    version: identity.version,
    node: identity.node,
    method: req.method,
    path,
    ...(query ? { query } : {}),
    headers,
    source: req.source,
    host: typeof hostHeader === 'string' ? hostHeader : '',
    bodyBytes: req.bodyBytes,
  };
}

const FILLER = 'ambit-echo-payload-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH\n';

/** Exactly `size` bytes of printable filler (64-byte lines). */
export function fillerPayload(size: number): Buffer {
  return size > 0 ? Buffer.alloc(size, FILLER) : Buffer.alloc(0);
}
