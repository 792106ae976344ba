// Ports and IP blocks as Istio's security resources write them (`"8080"`, `"198.18.0.0/16"`,
// `"198.18.1.5"`, `"fd00::/8"`), checked strictly and turned into ambit's Authorization values:
// ports as numbers 1..65535, CIDRs as canonical text with the host bits cleared (a bare address gets
// its full length; an IPv4-mapped IPv6 block becomes the IPv4 block it stands for, since peers'
// addresses are compared unwrapped). Pure.

import type { Cidr } from '../../pkg/api/authorization-types';
import { parseCidr } from '../../pkg/api/authorization-validate';
import { bytesToIp, isIpv4MappedBytes } from '../../pkg/api/ip-bytes';
import { show } from './field-report';
import type { Parsed } from './string-forms';

const PORT = /^[1-9][0-9]{0,4}$/;
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/** A port written as a decimal string, 1..65535, no sign, spaces or leading zeros. */
export function portValue(raw: string): Parsed<number> {
  const n = PORT.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65535)) return { ok: false, reason: `${show(raw)} is not a port number (1..65535)` };
  return { ok: true, value: n };
}

function clearHostBits(address: Buffer, length: number): Buffer {
  const out = Buffer.from(address);
  for (let bit = length; bit < out.length * 8; bit++) {
    const i = bit >> 3;
    out[i] = (out[i] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return out;
}

/** An IP address or CIDR block; the value is canonical `<address>/<length>` text. */
export function cidrValue(raw: string): Parsed<Cidr> {
  const slash = raw.indexOf('/');
  if (slash >= 0 && !PREFIX_LENGTH.test(raw.slice(slash + 1))) {
    return { ok: false, reason: `${show(raw)} is not an IP address or CIDR block: bad prefix length` };
  }
  const parsed = parseCidr(raw);
  if (!parsed.ok) return { ok: false, reason: `${show(raw)} is not an IP address or CIDR block: ${parsed.error}` };
  let { address, length } = parsed.cidr;
  const notes: string[] = [];
  if (isIpv4MappedBytes(address)) {
    if (length < 96) return { ok: false, reason: `${show(raw)}: an IPv4-mapped block needs a prefix length of at least 96` };
    address = address.subarray(12);
    length -= 96;
    notes.push('an IPv4-mapped IPv6 block is matched as the IPv4 block it maps');
  }
  const network = clearHostBits(address, length);
  const text = `${bytesToIp(network) ?? ''}/${length}`;
  if (!network.equals(address)) notes.push('host bits are set');
  if (notes.length === 0) return { ok: true, value: text };
  return { ok: true, value: text, warning: `${show(raw)}: ${notes.join('; ')}; treated as ${text}` };
}
