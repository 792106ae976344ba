// The JWKS transport for RequestAuthentication `jwksUri`: one bounded HTTP/1.1 GET. A mesh Service
// host is reached over the Duplex the caller dials through the mesh (HBONE with the waypoint's
// identity; TLS on top for https); any other host is fetched directly, after resolving it and
// refusing loopback, link-local (cloud metadata) and unspecified addresses. Only a 200 with a body
// within `maxBytes` counts; the timeout and the caller's signal end the fetch.

import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';

/** Fetches a JWKS document's text; rejects with a MeshError. */
export type JwksFetcher = (uri: string, timeoutMs: number, signal: AbortSignal) => Promise<string>;

export interface JwksFetchOptions {
  /** A Duplex to host:port through the mesh when host is a mesh Service (HBONE with the waypoint's identity), else undefined → direct. */
  readonly dialMesh: (host: string, port: number, signal: AbortSignal) => Promise<Duplex> | undefined;
  readonly maxBytes?: number;  // default 256 KiB
}

export const DEFAULT_JWKS_MAX_BYTES = 256 * 1024;

interface Target {
  readonly https: boolean;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly hostHeader: string;
}

/** Parses a JWKS URL: http or https, a host, no credentials. */
export function parseJwksUri(uri: string): Target {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new MeshError(ErrorCode.InvalidArgument, `JWKS URI ${JSON.stringify(uri)} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MeshError(ErrorCode.InvalidArgument, `JWKS URI ${uri}: scheme ${url.protocol} is not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new MeshError(ErrorCode.InvalidArgument, `JWKS URI ${uri}: credentials in the URL are not allowed`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new MeshError(ErrorCode.InvalidArgument, `JWKS URI ${uri} has no host`);
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { https: secure, host, port, path: `${url.pathname}${url.search}`, hostHeader: url.host };
}

function blockList(v4: readonly [string, number][], v6: readonly [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

/** Targets a direct fetch refuses (BlockList also matches IPv4-mapped IPv6 forms of the IPv4 ranges). */
const REFUSED: readonly { readonly reason: string; readonly list: BlockList }[] = [
  { reason: 'loopback', list: blockList([['127.0.0.0', 8]], [['::1', 128]]) },
  { reason: 'link-local', list: blockList([['169.254.0.0', 16]], [['fe80::', 10]]) },
  { reason: 'unspecified', list: blockList([['0.0.0.0', 8]], [['::', 128]]) },
];

/** Why a direct fetch may not go to this address (loopback, link-local, unspecified), or undefined. */
export function refusedAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return REFUSED.find((r) => r.list.check(address, type))?.reason;
}

/** The first address of the host a direct fetch may use; refuses internal targets. */
async function resolveDirect(host: string): Promise<string> {
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  const reasons: string[] = [];
  for (const address of addresses) {
    const reason = refusedAddressReason(address);
    if (reason === undefined) return address;
    reasons.push(`${address} (${reason})`);
  }
  throw new MeshError(ErrorCode.PermissionDenied, `JWKS host ${host} resolves only to refused addresses: ${reasons.join(', ') || 'none'}`);
}

/** Creates the fetcher the JWT authenticator uses for `jwksUri`. */
export function createJwksFetcher(opts: JwksFetchOptions): JwksFetcher {
  const maxBytes = opts.maxBytes ?? DEFAULT_JWKS_MAX_BYTES;
  return (uri, timeoutMs, signal) => fetchOnce(opts, maxBytes, uri, timeoutMs, signal);
}

async function fetchOnce(opts: JwksFetchOptions, maxBytes: number, uri: string, timeoutMs: number, outer: AbortSignal): Promise<string> {
  const target = parseJwksUri(uri);
  const ctl = new AbortController();
  let stopReason: MeshError | undefined;
  const stop = (err: MeshError): void => {
    if (stopReason) return;
    stopReason = err;
    ctl.abort(err);
  };
  const onOuterAbort = (): void => stop(new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri} was cancelled`));
  if (outer.aborted) onOuterAbort();
  else outer.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => stop(new MeshError(ErrorCode.Timeout, `JWKS fetch from ${uri} timed out after ${timeoutMs} ms`)), timeoutMs);
  let stream: Duplex | undefined;
  try {
    const aborted = new Promise<never>((_, reject) => {
      if (ctl.signal.aborted) reject(stopReason);
      ctl.signal.addEventListener('abort', () => reject(stopReason), { once: true });
    });
    aborted.catch(() => undefined);
    const dialled = opts.dialMesh(target.host, target.port, ctl.signal);
    // A tunnel that opens after the fetch gave up is closed, never leaked.
    dialled?.then((s) => { if (ctl.signal.aborted && s !== stream) s.destroy(); }, () => undefined);
    let request: http.ClientRequest;
    if (dialled !== undefined) {
      stream = await Promise.race([dialled, aborted]);
      const socket: Duplex = target.https
        ? tls.connect({ socket: stream, ...(isIP(target.host) === 0 ? { servername: target.host } : {}), ALPNProtocols: ['http/1.1'] })
        : stream;
      stream = socket;
      request = http.request({
        method: 'GET', path: target.path, host: target.host, port: target.port,
        headers: { host: target.hostHeader, accept: 'application/json', connection: 'close' },
        createConnection: () => socket,
      });
    } else {
      const address = await Promise.race([resolveDirect(target.host), aborted]);
      const options: https.RequestOptions = {
        method: 'GET', path: target.path, host: address, port: target.port, agent: false,
        headers: { host: target.hostHeader, accept: 'application/json', connection: 'close' },
        ...(target.https && isIP(target.host) === 0 ? { servername: target.host } : {}),
      };
      request = target.https ? https.request(options) : http.request(options);
    }
    return await Promise.race([readBody(request, uri, maxBytes), aborted]).finally(() => request.destroy());
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri} failed`, { cause: err });
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
    stream?.destroy();
  }
}

function readBody(request: http.ClientRequest, uri: string, maxBytes: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    request.on('error', (err) => reject(new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri} failed: ${describeError(err)}`, { cause: err })));
    request.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri}: HTTP status ${res.statusCode ?? 0}, want 200`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        reject(new MeshError(ErrorCode.InvalidArgument, `JWKS from ${uri} is ${declared} bytes, over the ${maxBytes}-byte limit`));
        request.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          reject(new MeshError(ErrorCode.InvalidArgument, `JWKS from ${uri} is over the ${maxBytes}-byte limit`));
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => reject(new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri} failed: ${describeError(err)}`, { cause: err })));
      res.on('close', () => {
        if (!res.complete) reject(new MeshError(ErrorCode.Unavailable, `JWKS fetch from ${uri}: the response ended early`));
      });
    });
    request.end();
  });
}
