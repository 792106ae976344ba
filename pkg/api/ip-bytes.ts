// IP literals <-> the raw 4/16-byte form the xDS wire carries (Workload.addresses,
// NetworkAddress.address). Text out is canonical: dotted quad, or RFC 5952 compressed IPv6.

import { isIPv4, isIPv6 } from 'node:net';

/** The 4 or 16 bytes of an IP literal, or undefined if `ip` is not one (no zone ids, no brackets). */
export function ipToBytes(ip: string): Buffer | undefined {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map((p) => Number(p)));
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 in the last 32 bits: rewrite it as two hex groups.
    const v4 = text.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    const [a, b, c, d] = v4.split('.').map((p) => Number(p)) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parseGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const rest = parseGroups(text.slice(dbl + 2));
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = parseGroups(text);
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** True for a 16-byte `::ffff:a.b.c.d` address (an IPv4 peer as a dual-stack socket reports it). */
export function isIpv4MappedBytes(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The canonical text of a 4- or 16-byte address, or undefined for any other length. */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return undefined;
  if (isIpv4MappedBytes(bytes)) {
    return `::ffff:${Array.from(bytes.subarray(12)).join('.')}`; // IPv4-mapped (RFC 5952 §5)
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Longest run (>= 2) of zero groups, first one on ties, becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

const MAPPED_V4_TEXT_RE = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address as its IPv4 text ("::ffff:198.18.0.1" → "198.18.0.1"); other text as is. */
export function unmappedIp(ip: string): string {
  const m = MAPPED_V4_TEXT_RE.exec(ip);
  return m ? (m[1] as string) : ip;
}
