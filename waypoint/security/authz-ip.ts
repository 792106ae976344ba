// Addresses and CIDRs for the L7 authorization matchers (source.ip, remote.ip, destination.ip):
// a CIDR is parsed once per config (pkg/api's parseCidr), an address once per request, and
// containment compares whole bytes then the masked remainder. An IPv4-mapped IPv6 address
// (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) counts as that IPv4
// address, and a CIDR inside ::ffff:0:0/96 as the matching IPv4 CIDR. Pure.

import { ipToBytes, isIpv4MappedBytes } from '../../pkg/api/ip-bytes';
import { parseCidr } from '../../pkg/api/authorization-validate';

/** A network: 4 or 16 address bytes with the bits past `bits` cleared. */
export interface IpNetwork {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** The 4 (IPv4, including v4-mapped IPv6) or 16 bytes of an address; undefined if `text` is not one. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (text === '') return undefined;
  const b = ipToBytes(text);
  if (!b) return undefined;
  return isIpv4MappedBytes(b) ? b.subarray(12) : b;
}

/** Parses "ip/len" or a bare "ip"; undefined for anything else. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const parsed = parseCidr(text);
  if (!parsed.ok) return undefined;
  let bytes: Uint8Array = parsed.cidr.address;
  let bits = parsed.cidr.length;
  if (isIpv4MappedBytes(bytes) && bits >= 96) {
    bytes = bytes.subarray(12);
    bits -= 96;
  }
  const masked = Uint8Array.from(bytes);
  for (let i = 0; i < masked.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    masked[i] = (masked[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes: masked, bits };
}

/** True when `address` (from parseAddress) lies in `net`; families never mix. */
export function networkContains(net: IpNetwork, address: Uint8Array): boolean {
  if (net.bytes.length !== address.length) return false;
  const whole = net.bits >> 3;
  for (let i = 0; i < whole; i++) if (net.bytes[i] !== address[i]) return false;
  const rest = net.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === net.bytes[whole];
}
