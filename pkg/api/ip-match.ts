// IP addresses and CIDRs as numbers for the authorization hot paths (ztunnel's L4 policy and the
// waypoint's L7 matchers): a CIDR is compiled once per
// policy update into masked network + mask words, a connection's address is parsed once per
// connection, and containment is a few integer compares. IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what
// a dual-stack socket reports for an IPv4 peer) counts as IPv4, both for addresses and for CIDRs
// inside ::ffff:0:0/96. Pure.

import { ipToBytes, isIpv4MappedBytes } from './ip-bytes';
import { parseCidr } from './authorization-validate';
import { ErrorCode, MeshError } from '../errors/mesh-error';

/** A parsed address: IPv4 as one 32-bit word, IPv6 as four. */
export type IpValue = { readonly v4: number; readonly v6?: undefined } | { readonly v4?: undefined; readonly v6: readonly [number, number, number, number] };

/** A compiled CIDR; `net` is already masked, so host bits in the policy text do not matter. */
export type CompiledCidr =
  | { readonly family: 4; readonly net: number; readonly mask: number }
  | { readonly family: 6; readonly net: readonly number[]; readonly mask: readonly number[] };

function word(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses an IP literal (dotted quad or IPv6, no zone); undefined for anything else. */
export function parseIp(text: string): IpValue | undefined {
  const b = ipToBytes(text);
  if (!b) return undefined;
  if (b.length === 4) return { v4: word(b, 0) };
  if (isIpv4MappedBytes(b)) return { v4: word(b, 12) };
  return { v6: [word(b, 0), word(b, 4), word(b, 8), word(b, 12)] };
}

/** Compiles `ip/len` or a bare `ip`; throws MeshError (InvalidArgument) for text that is not one. */
export function compileCidr(text: string): CompiledCidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new MeshError(ErrorCode.InvalidArgument, `CIDR ${JSON.stringify(text)}: ${parsed.error}`);
  const { address: b, length } = parsed.cidr;
  if (b.length === 4 || (isIpv4MappedBytes(b) && length >= 96)) {
    const bits = b.length === 4 ? length : length - 96;
    const mask = maskWord(bits);
    return { family: 4, net: (word(b, b.length - 4) & mask) >>> 0, mask };
  }
  const mask = [0, 1, 2, 3].map((i) => maskWord(length - 32 * i));
  const net = [0, 1, 2, 3].map((i) => (word(b, 4 * i) & (mask[i] ?? 0)) >>> 0);
  return { family: 6, net, mask };
}

export function cidrContains(c: CompiledCidr, ip: IpValue): boolean {
  if (c.family === 4) return ip.v4 !== undefined && ((ip.v4 & c.mask) >>> 0) === c.net;
  const w = ip.v6;
  if (w === undefined) return false;
  for (let i = 0; i < 4; i++) {
    if ((((w[i] ?? 0) & (c.mask[i] ?? 0)) >>> 0) !== c.net[i]) return false;
  }
  return true;
}
