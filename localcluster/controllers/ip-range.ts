// IPv4 arithmetic for the Service CIDR: parsing, membership, the reserved first address (the
// `kubernetes` Service) and lowest-free allocation. Restricted to 198.18.0.0/15. Pure.

export interface Ipv4Cidr {
  text: string;
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  size: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

const ALLOWED = { base: parseIpv4('198.18.0.0') ?? 0, size: 2 ** 17 };

/** Parses `a.b.c.d/p`; throws when malformed, not a network address, or outside 198.18.0.0/15. */
export function parseCidr(text: string): Ipv4Cidr {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  const base = m ? parseIpv4(m[1]) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= 30)) throw new Error(`invalid IPv4 CIDR "${text}"`);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`"${text}" is not a network address (host bits set)`);
  if (base < ALLOWED.base || base + size > ALLOWED.base + ALLOWED.size) {
    throw new Error(`Service CIDR "${text}" must lie within 198.18.0.0/15`);
  }
  return { text, base, prefix, size };
}

export const cidrContains = (c: Ipv4Cidr, ip: number): boolean => ip >= c.base && ip < c.base + c.size;

/** The first usable address: the `kubernetes` Service's ClusterIP. */
export const reservedIp = (c: Ipv4Cidr): string => formatIpv4(c.base + 1);

/** The lowest address that is neither network, broadcast, reserved, nor taken. */
export function lowestFreeIp(c: Ipv4Cidr, taken: ReadonlySet<string>): string | undefined {
  for (let ip = c.base + 2; ip < c.base + c.size - 1; ip++) {
    const s = formatIpv4(ip);
    if (!taken.has(s)) return s;
  }
  return undefined;
}

/** Why a requested ClusterIP cannot be had, or undefined when it is free for this Service. */
export function requestedIpProblem(c: Ipv4Cidr, ip: string, taken: ReadonlySet<string>, mayUseReserved: boolean): string | undefined {
  const n = parseIpv4(ip);
  if (n === undefined) return 'must be a valid IP address, (e.g. 198.19.0.10)';
  const fail = `failed to allocate IP ${ip}`;
  if (!cidrContains(c, n) || n === c.base || n === c.base + c.size - 1) {
    return `${fail}: provided IP is not in the valid range. The range of valid IPs is ${c.text}`;
  }
  if (n === c.base + 1 && !mayUseReserved) return `${fail}: provided IP is reserved for the kubernetes Service`;
  if (taken.has(ip)) return `${fail}: provided IP is already allocated`;
  return undefined;
}
