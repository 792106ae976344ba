// The metadata headers an HBONE CONNECT carries (pure): `forwarded` (source address and intended
// service host), `baggage` (peer telemetry labels) and `traceparent` (a random per-connection id).
// Parsers are bounded and forgiving in the right way: a malformed member is dropped, never thrown.

import { randomBytes } from 'node:crypto';
import { canonicalIpv6, isDnsHostname, isStrictIpv4, parsePort, unmapIpv4 } from './authority';
import type { ForwardedInfo } from './types';

/** Longest `forwarded` / `baggage` header value looked at; longer ones are ignored whole. */
export const MAX_FORWARDED_LENGTH = 1024;
export const MAX_BAGGAGE_LENGTH = 8192;
/** Most baggage members kept (W3C allows 180; HBONE peers send about ten). */
export const MAX_BAGGAGE_ENTRIES = 64;

// ---- forwarded ----

/** `for="<ip>:<port>"` (IPv6 bracketed), plus `;host=<fqdn>` when the intended service is known. */
export function buildForwarded(address: string, port: number, host?: string): string {
  const ip = unmapIpv4(address);
  const forValue = ip.includes(':') ? `"[${ip}]:${port}"` : `"${ip}:${port}"`;
  return host ? `for=${forValue};host=${host}` : `for=${forValue}`;
}

function unquote(value: string): string | undefined {
  if (!value.startsWith('"')) return value;
  if (value.length < 2 || !value.endsWith('"')) return undefined;
  const inner = value.slice(1, -1);
  return inner.includes('"') || inner.includes('\\') ? undefined : inner;
}

function parseForNode(node: string): { address: string; port?: number } | undefined {
  if (node.startsWith('[')) {
    const close = node.indexOf(']');
    if (close < 0) return undefined;
    const address = canonicalIpv6(node.slice(1, close));
    if (address === undefined) return undefined;
    const rest = node.slice(close + 1);
    if (rest === '') return { address: unmapIpv4(address) };
    const port = rest.startsWith(':') ? parsePort(rest.slice(1)) : undefined;
    return port === undefined ? undefined : { address: unmapIpv4(address), port };
  }
  const colon = node.indexOf(':');
  const ip = colon < 0 ? node : node.slice(0, colon);
  if (!isStrictIpv4(ip)) return undefined;
  if (colon < 0) return { address: ip };
  const port = parsePort(node.slice(colon + 1));
  return port === undefined ? undefined : { address: ip, port };
}

/** Reads the first element of a `forwarded` header; unknown or malformed parameters are ignored. */
export function parseForwarded(text: string | undefined): ForwardedInfo | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_FORWARDED_LENGTH) return undefined;
  const first = text.split(',')[0] as string;
  let forAddress: string | undefined;
  let forPort: number | undefined;
  let host: string | undefined;
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim().toLowerCase();
    const value = unquote(pair.slice(eq + 1).trim());
    if (value === undefined) continue;
    if (name === 'for' && forAddress === undefined) {
      const node = parseForNode(value);
      if (node) {
        forAddress = node.address;
        forPort = node.port;
      }
    } else if (name === 'host' && host === undefined && isDnsHostname(value.toLowerCase())) {
      host = value.toLowerCase();
    }
  }
  if (forAddress === undefined && host === undefined) return undefined;
  return {
    ...(forAddress !== undefined ? { forAddress } : {}),
    ...(forPort !== undefined ? { forPort } : {}),
    ...(host !== undefined ? { host } : {}),
  };
}

// ---- baggage (W3C) ----

const BAGGAGE_KEY_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
// baggage-octet: printable ASCII except space, '"', ',', ';', '\\'.
const BAGGAGE_VALUE_RE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** Builds a baggage header from entries; empty values are omitted, values percent-encoded as needed. */
export function buildBaggage(entries: Iterable<readonly [string, string | undefined]>): string {
  const members: string[] = [];
  for (const [key, value] of entries) {
    if (value === undefined || value === '' || !BAGGAGE_KEY_RE.test(key)) continue;
    members.push(`${key}=${BAGGAGE_VALUE_RE.test(value) && !value.includes('%') ? value : encodeURIComponent(value)}`);
    if (members.length >= MAX_BAGGAGE_ENTRIES) break;
  }
  return members.join(',');
}

/** Parses a baggage header: `k=v` members, properties after `;` dropped, bad members skipped. */
export function parseBaggage(text: string | undefined): Map<string, string> {
  const result = new Map<string, string>();
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_BAGGAGE_LENGTH) return result;
  for (const member of text.split(',')) {
    if (result.size >= MAX_BAGGAGE_ENTRIES) break;
    const kv = (member.split(';')[0] as string).trim();
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const key = kv.slice(0, eq).trim();
    const raw = kv.slice(eq + 1).trim();
    if (!BAGGAGE_KEY_RE.test(key) || !BAGGAGE_VALUE_RE.test(raw) || result.has(key)) continue;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      continue;
    }
    result.set(key, value);
  }
  return result;
}

// ---- traceparent (W3C trace context) ----

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A fresh random `00-<trace id>-<parent id>-00` (ids never all zero). */
export function newTraceparent(): string {
  for (;;) {
    const bytes = randomBytes(24);
    const trace = bytes.subarray(0, 16).toString('hex');
    const parent = bytes.subarray(16).toString('hex');
    if (!/^0+$/.test(trace) && !/^0+$/.test(parent)) return `00-${trace}-${parent}-00`;
  }
}

/** True for a well-formed traceparent (version 00 exactly 55 chars; future versions may extend). */
export function isValidTraceparent(text: string | undefined): boolean {
  if (typeof text !== 'string' || text.length < 55 || text.length > 512) return false;
  const m = TRACEPARENT_RE.exec(text);
  if (!m) return false;
  const [, version, trace, parent, , extra] = m;
  if (version === 'ff' || /^0+$/.test(trace as string) || /^0+$/.test(parent as string)) return false;
  return version === '00' ? extra === undefined : true;
}
