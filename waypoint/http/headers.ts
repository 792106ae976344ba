// Header hygiene between the two sides of the proxy: what is stripped from requests and responses
// (hop-by-hop headers, those the Connection header names, pseudo-headers, headers the mesh uses
// internally and a client must not inject), and the shapes each upstream protocol needs (Host for
// HTTP/1.1; :method/:path/:authority/:scheme and only `te: trailers` for HTTP/2). Pure.

import type { OutgoingHttpHeaders } from 'node:http';
import type { HeaderBag } from '../routing/filters';

/** Never forwarded in either direction. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings',
]);

/** Stripped from requests only: handled by the waypoint itself or mesh-internal. */
const REQUEST_ONLY: ReadonlySet<string> = new Set([
  'host', 'expect', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id', 'x-istio-attributes',
]);

type RawHeaders = Readonly<Record<string, string | string[] | number | undefined>>;

function connectionListed(raw: RawHeaders): ReadonlySet<string> | undefined {
  const conn = raw.connection;
  if (conn === undefined) return undefined;
  const text = Array.isArray(conn) ? conn.join(',') : String(conn);
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'close' && s !== 'keep-alive');
  return names.length ? new Set(names) : undefined;
}

function copyClean(raw: RawHeaders, extra: ReadonlySet<string> | undefined): HeaderBag {
  const out: HeaderBag = {};
  const listed = connectionListed(raw);
  for (const name of Object.keys(raw)) {
    if (name.charCodeAt(0) === 0x3a || HOP_BY_HOP.has(name) || extra?.has(name) || listed?.has(name)) continue;
    const v = raw[name];
    if (v === undefined) continue;
    out[name] = Array.isArray(v) ? [...v] : String(v);
  }
  return out;
}

/** A mutable copy of the client's request headers fit to forward (lower-case names). */
export function cleanRequestHeaders(raw: RawHeaders): HeaderBag {
  const out = copyClean(raw, REQUEST_ONLY);
  const te = raw.te;
  if (typeof te === 'string' && te.split(',').some((t) => t.trim().toLowerCase() === 'trailers')) out.te = 'trailers';
  return out;
}

/** A mutable copy of an upstream response's headers fit to send to the client. */
export function cleanResponseHeaders(raw: RawHeaders): HeaderBag {
  return copyClean(raw, undefined);
}

/** One header as a single string (repeated values joined with ','; cookies with '; '). */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return v;
  return v.join(name === 'cookie' ? '; ' : ',');
}

/** Headers for an HTTP/1.1 upstream request. */
export function h1RequestHeaders(bag: HeaderBag, authority: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { host: authority };
  for (const name of Object.keys(bag)) {
    const v = bag[name];
    if (v === undefined || name === 'te') continue;
    out[name] = v;
  }
  return out;
}

/** Headers for an HTTP/2 upstream request. */
export function h2RequestHeaders(method: string, pathWithQuery: string, authority: string, bag: HeaderBag): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': method, ':path': pathWithQuery, ':authority': authority, ':scheme': 'http' };
  for (const name of Object.keys(bag)) {
    const v = bag[name];
    if (v === undefined) continue;
    out[name] = name === 'cookie' && Array.isArray(v) ? v.join('; ') : v;
  }
  return out;
}

/** Headers to send downstream (HTTP/2 refuses connection-specific ones, so none may remain). */
export function outgoingHeaders(bag: HeaderBag): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(bag)) {
    const v = bag[name];
    if (v === undefined || name.charCodeAt(0) === 0x3a || HOP_BY_HOP.has(name)) continue;
    out[name] = v;
  }
  return out;
}

/** Approximate wire size of a header set (names, values and separators), for the byte metrics. */
export function headerBytes(headers: RawHeaders | HeaderBag): number {
  let n = 0;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) n += name.length + String(x).length + 4;
    else n += name.length + String(v).length + 4;
  }
  return n;
}
