// SOCKS5 wire format (RFC 1928), pure: the method-selection greeting, the request (CONNECT only;
// IPv4, IPv6 or a domain name), and replies. Parsers take the bytes received so far and say
// "incomplete", "invalid" (with the reply code to send) or "ok" with how many bytes they used.

import { canonicalIpv6, isDnsHostname, isStrictIpv4, unmapIpv4 } from '../../pkg/hbone/authority';

export const SOCKS_VERSION = 5;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export const SOCKS_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type SocksReply = (typeof SOCKS_REPLY)[keyof typeof SOCKS_REPLY];

/** The most bytes a greeting (2 + 255) or a request (4 + 1 + 255 + 2) can take. */
export const MAX_GREETING_BYTES = 257;
export const MAX_REQUEST_BYTES = 262;

export type SocksTarget =
  | { readonly kind: 'ip'; readonly address: string; readonly port: number }
  | { readonly kind: 'domain'; readonly host: string; readonly port: number };

export type Parsed<T> =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string; readonly reply: SocksReply }
  | { readonly kind: 'ok'; readonly value: T; readonly consumed: number };

const INCOMPLETE = Object.freeze({ kind: 'incomplete' as const });

function invalid(reason: string, reply: SocksReply = SOCKS_REPLY.generalFailure): Parsed<never> {
  return { kind: 'invalid', reason, reply };
}

/** `VER NMETHODS METHODS...` → whether "no authentication" is offered. */
export function parseGreeting(buf: Buffer): Parsed<{ readonly noAuthOffered: boolean }> {
  if (buf.length < 2) return INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return invalid(`not SOCKS5 (version byte ${buf[0]})`);
  const count = buf[1] as number;
  if (count === 0) return invalid('no authentication methods offered');
  if (buf.length < 2 + count) return INCOMPLETE;
  const methods = buf.subarray(2, 2 + count);
  return { kind: 'ok', value: { noAuthOffered: methods.includes(METHOD_NO_AUTH) }, consumed: 2 + count };
}

/** `VER CMD RSV ATYP DST.ADDR DST.PORT` → the CONNECT target. */
export function parseRequest(buf: Buffer): Parsed<SocksTarget> {
  if (buf.length < 5) return INCOMPLETE;
  if (buf[0] !== SOCKS_VERSION) return invalid(`not SOCKS5 (version byte ${buf[0]})`);
  if (buf[1] !== CMD_CONNECT) return invalid(`command ${buf[1]} is not supported (CONNECT only)`, SOCKS_REPLY.commandNotSupported);
  if (buf[2] !== 0) return invalid('reserved byte is not zero');
  const atyp = buf[3];
  if (atyp === ATYP_IPV4) {
    if (buf.length < 10) return INCOMPLETE;
    const address = `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
    return withPort(buf, 8, { kind: 'ip', address });
  }
  if (atyp === ATYP_IPV6) {
    if (buf.length < 22) return INCOMPLETE;
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(4 + 2 * i).toString(16));
    const address = canonicalIpv6(groups.join(':'));
    if (address === undefined) return invalid('malformed IPv6 address', SOCKS_REPLY.addressTypeNotSupported);
    return withPort(buf, 20, { kind: 'ip', address: unmapIpv4(address) });
  }
  if (atyp === ATYP_DOMAIN) {
    const length = buf[4] as number;
    if (length === 0) return invalid('empty domain name', SOCKS_REPLY.hostUnreachable);
    if (buf.length < 5 + length + 2) return INCOMPLETE;
    const host = buf.toString('latin1', 5, 5 + length).toLowerCase();
    if (isStrictIpv4(host)) return withPort(buf, 5 + length, { kind: 'ip', address: host });
    if (!isDnsHostname(host)) return invalid('malformed domain name', SOCKS_REPLY.hostUnreachable);
    return withPort(buf, 5 + length, { kind: 'domain', host });
  }
  return invalid(`address type ${atyp} is not supported`, SOCKS_REPLY.addressTypeNotSupported);
}

function withPort(buf: Buffer, offset: number, target: { kind: 'ip'; address: string } | { kind: 'domain'; host: string }): Parsed<SocksTarget> {
  const port = buf.readUInt16BE(offset);
  if (port === 0) return invalid('port 0', SOCKS_REPLY.hostUnreachable);
  return { kind: 'ok', value: { ...target, port }, consumed: offset + 2 };
}

/** The method-selection answer. */
export function greetingReply(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/** A reply with BND.ADDR 0.0.0.0:0 (the bound address is of no use to a mesh client). */
export function requestReply(code: SocksReply): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}
