// What the pipeline knows about a client request once its head is parsed, the same for HTTP/1.1
// and HTTP/2 (compat API): method, path and query split, authority, cleaned headers, whether it is
// gRPC and whether a body follows — and the RequestView route matching reads. The path is cut at
// a fragment ('#', never forwarded) and normalized by the mesh's mode before anything reads it:
// routing, policy and the upstream all see the same path. A request that cannot be proxied (no
// authority, a path that is not origin-form or does not normalize) is a value saying why.

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { RequestView } from '../routing/match';
import type { HeaderBag } from '../routing/filters';
import type { PathNormalization } from '../../pkg/api/waypoint-security-types';
import { normalizePath } from '../security/normalize-path';
import { cleanRequestHeaders, headerBytes, headerValue } from './headers';

export type DownstreamRequest = IncomingMessage | Http2ServerRequest;

export interface IncomingRequest {
  readonly method: string;
  /** Normalized, without the query or a fragment. */
  readonly path: string;
  /** Raw, without '?'. */
  readonly query: string;
  /** host[:port] as the client sent it. */
  readonly authority: string;
  /** Cleaned, mutable copy (see headers.ts). */
  readonly headers: HeaderBag;
  readonly grpc: boolean;
  /** The client spoke HTTP/2. */
  readonly h2: boolean;
  /** A body may follow the head. */
  readonly hasBody: boolean;
  readonly headerBytes: number;
}

export type ParseResult =
  | { readonly ok: true; readonly request: IncomingRequest }
  | { readonly ok: false; readonly why: string; readonly status: 400 | 431 };

/** More request headers than this is refused with 431 (the servers keep one more so it is seen). */
export const MAX_REQUEST_HEADERS = 100;

const MAX_AUTHORITY = 261;
// Visible ASCII except space; the HTTP parsers already refuse control characters.
const AUTHORITY_RE = /^[\x21-\x7e]+$/;
const METHOD_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isH2(req: DownstreamRequest): req is Http2ServerRequest {
  return 'stream' in req;
}

function bodyFollows(req: DownstreamRequest, h2: boolean): boolean {
  if (h2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const cl = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return cl !== undefined && cl !== '0';
}

/** Parses a client request head, normalizing its path by `mode` (NONE: as sent); never throws. */
export function parseIncoming(req: DownstreamRequest, mode: PathNormalization = 'NONE'): ParseResult {
  const h2 = isH2(req);
  const method = req.method ?? '';
  if (!METHOD_RE.test(method)) return { ok: false, why: 'invalid method', status: 400 };
  if (req.rawHeaders.length / 2 > MAX_REQUEST_HEADERS) return { ok: false, why: 'too many headers', status: 431 };
  let target = req.url ?? '';
  const raw = req.headers;
  let authority = h2 ? (raw[':authority'] ?? raw.host) : raw.host;
  if (/^https?:\/\//i.test(target)) {
    // Absolute-form (a client talking to us as a proxy): the URL's authority wins.
    const rest = target.slice(target.indexOf('//') + 2);
    const slash = rest.search(/[/?]/);
    authority = slash === -1 ? rest : rest.slice(0, slash);
    target = slash === -1 ? '/' : rest.slice(slash);
    if (target.startsWith('?')) target = `/${target}`;
  }
  if (typeof authority !== 'string' || authority === '' || authority.length > MAX_AUTHORITY || !AUTHORITY_RE.test(authority)) {
    return { ok: false, why: 'missing or invalid authority', status: 400 };
  }
  if (!target.startsWith('/') && !(target === '*' && method === 'OPTIONS')) return { ok: false, why: 'invalid request target', status: 400 };
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  let path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q + 1);
  if (path !== '*') {
    const normalized = normalizePath(path, mode);
    if (!normalized.ok) return { ok: false, why: `invalid path: ${normalized.why}`, status: 400 };
    path = normalized.path;
  }
  const headers = cleanRequestHeaders(raw);
  const ct = headerValue(headers, 'content-type');
  const grpc = ct !== undefined && ct.toLowerCase().startsWith('application/grpc');
  return {
    ok: true,
    request: { method, path, query, authority, headers, grpc, h2, hasBody: bodyFollows(req, h2), headerBytes: headerBytes(raw) },
  };
}

/** The view route matching reads (over the headers as they are when it is called). */
export function requestView(r: IncomingRequest): RequestView {
  return {
    method: r.method,
    path: r.path,
    query: r.query,
    header: (name: string) => headerValue(r.headers, name),
  };
}

/** Host and port of an authority ("[::1]:80", "a.b:8080", "a.b"). */
export function splitAuthority(authority: string): { readonly host: string; readonly port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return { host: authority };
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return m[2] !== undefined ? { host, port: Number(m[2]) } : { host };
}
