// Pure parsers for ztunnel's environment settings: Go-style durations ("24h", "1h30m", "500ms") or
// plain seconds, host:port addresses (dial and listen forms), ports, booleans. Each returns
// undefined for input it cannot accept; config.ts turns that into a message naming the variable.

import { isIP } from 'node:net';

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Milliseconds in a Go duration ("24h", "1h30m", "1.5s", "250ms") or plain (possibly fractional)
 * seconds ("90", "0.5"); undefined when malformed, negative or beyond ~100 years.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  let ms: number;
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) {
    ms = Number(s) * 1000;
  } else {
    if (!DURATION_RE.test(s)) return undefined;
    ms = 0;
    for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  ms = Math.round(ms);
  return Number.isSafeInteger(ms) && ms <= 100 * 365 * 86_400_000 ? ms : undefined;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function splitHostPort(text: string): { host: string; portText: string } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]*)):([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  return { host: m[1] ?? (m[2] as string), portText: m[3] as string };
}

/** A server to dial: `host:port` or `[v6]:port`, an `https://` prefix tolerated; port 1-65535. */
export function parseDialAddress(text: string): HostPort | undefined {
  const parts = splitHostPort(text.trim().replace(/^https?:\/\//, '').replace(/\/+$/, ''));
  if (!parts) return undefined;
  const port = Number(parts.portText);
  if (!(port >= 1 && port <= 65535)) return undefined;
  if (parts.host === '' || (isIP(parts.host) === 0 && !HOST_RE.test(parts.host))) return undefined;
  return { host: parts.host, port };
}

/** A local address to listen on: `ip:port`, `[v6]:port`, `localhost:port` or `:port` (all IPv4); port 0-65535. */
export function parseListenAddress(text: string): HostPort | undefined {
  const parts = splitHostPort(text.trim());
  if (!parts) return undefined;
  const port = Number(parts.portText);
  if (port > 65535) return undefined;
  const host = parts.host === '' ? '0.0.0.0' : parts.host;
  if (host !== 'localhost' && isIP(host) === 0) return undefined;
  return { host, port };
}

/** A decimal port 0-65535. */
export function parsePort(text: string): number | undefined {
  const s = text.trim();
  if (!/^[0-9]{1,5}$/.test(s)) return undefined;
  const port = Number(s);
  return port <= 65535 ? port : undefined;
}

/** true/false, 1/0, yes/no, on/off (any case). */
export function parseBoolean(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/** `host:port` for logs and URLs (IPv6 in brackets). */
export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
