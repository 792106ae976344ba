// HBONE `:authority` parsing and formatting (pure): `a.b.c.d:port`, `[v6]:port`, `host.name:port`.
// Strict on purpose: the authority names the tunnel target, so anything ambiguous (leading zeros,
// numeric-looking hostnames, userinfo, paths, zone ids) is refused instead of guessed.

import { isIPv4, isIPv6 } from 'node:net';
import type { Authority } from './types';

/** Longest `:authority` accepted (a 253-byte hostname plus a port fits comfortably). */
export const MAX_AUTHORITY_LENGTH = 300;

const PORT_RE = /^[1-9][0-9]{0,4}$/;
const DOTTED_QUAD_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;
const LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// A label inet_aton would read as a number (decimal, octal or hex).
const NUMERIC_LABEL_RE = /^(0x[0-9a-f]*|[0-9]+)$/;
const MAPPED_V4_RE = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** Parses a decimal port 1..65535 with no sign, no leading zero and no spaces. */
export function parsePort(text: string): number | undefined {
  if (!PORT_RE.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** A strict dotted-quad IPv4 address (no leading zeros, no shorthand forms). */
export function isStrictIpv4(text: string): boolean {
  const m = DOTTED_QUAD_RE.exec(text);
  if (!m) return false;
  for (let i = 1; i <= 4; i++) {
    const octet = m[i] as string;
    if (!OCTET_RE.test(octet) || Number(octet) > 255) return false;
  }
  return true;
}

/** The canonical text of an IPv6 address (lowercase, zeros compressed), or undefined. */
export function canonicalIpv6(text: string): string | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  try {
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** `::ffff:a.b.c.d` (and its hex form) → `a.b.c.d`; any other address is returned unchanged. */
export function unmapIpv4(address: string): string {
  if (!address.includes(':')) return address;
  const canonical = canonicalIpv6(address);
  if (canonical === undefined) return address;
  const dotted = MAPPED_V4_RE.exec(canonical);
  if (dotted) return dotted[1] as string;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!hex) return address;
  const hi = parseInt(hex[1] as string, 16);
  const lo = parseInt(hex[2] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** A DNS hostname (lowercased by the caller): labels of [a-z0-9-], at most 253 bytes, not numeric. */
export function isDnsHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  if (!labels.every((label) => LABEL_RE.test(label))) return false;
  // A numeric last label, or labels that all read as numbers, could be taken for an IP address.
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return false;
  return !labels.every((label) => NUMERIC_LABEL_RE.test(label));
}

// Printable ASCII without userinfo, paths, queries, fragments, escapes, zone ids or spaces.
function isPlainAuthorityText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return !/[@/?#\\%]/.test(text);
}

/** Parses an HBONE `:authority`; undefined when it is not exactly `host:port`. */
export function parseAuthority(text: string): Authority | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_AUTHORITY_LENGTH) return undefined;
  if (!isPlainAuthorityText(text)) return undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    const port = parsePort(text.slice(close + 2));
    const host = canonicalIpv6(text.slice(1, close));
    if (port === undefined || host === undefined) return undefined;
    const mapped = unmapIpv4(host);
    return mapped === host ? { kind: 'ipv6', host, port } : { kind: 'ipv4', host: mapped, port };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  if (port === undefined || host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  if (isStrictIpv4(host)) return { kind: 'ipv4', host, port };
  const lower = host.toLowerCase();
  if (!isDnsHostname(lower)) return undefined;
  return { kind: 'hostname', host: lower, port };
}

/** Formats `host:port`, bracketing IPv6 literals. */
export function formatAuthority(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when `host` is an IP literal (either family). */
export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}
