// Opening one tunnelled stream on a ready pooled connection: send CONNECT with the authority and
// metadata headers, resolve on 200, turn any other answer (or a reset) into a MeshError that says
// what happened. The connection's slot is released when the stream closes.

import { constants as h2, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { ErrorCode, MeshError, describeError } from '../errors/mesh-error';
import { HboneConnectError, connectionFailure, printable } from './errors';
import type { PoolConnection } from './pool-connection';
import type { HboneDialRequest, HboneStream } from './types';

/** Most bytes of a refusal's body kept for the error message. */
const MAX_REASON_BYTES = 256;
/** How long to wait for a refusal's body before reporting without it. */
const REASON_WAIT_MS = 2_000;

// Headers a caller may not set: pseudo-headers and connection-specific ones (RFC 9113 §8.2.2).
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host']);

function requestHeaders(req: HboneDialRequest): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || FORBIDDEN.has(lower)) continue;
    headers[lower] = value;
  }
  headers[':method'] = 'CONNECT';
  headers[':authority'] = req.authority;
  return headers;
}

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = value;
  return out;
}

function readReason(stream: ClientHttp2Stream): Promise<string> {
  return new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      resolve(printable(Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_REASON_BYTES))).trim());
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REASON_BYTES) done();
    };
    const timer = setTimeout(done, REASON_WAIT_MS);
    timer.unref();
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('close', done);
  });
}

/** Opens a CONNECT stream on `conn` (a slot must already be reserved; it is released on close). */
export function openStream(conn: PoolConnection, req: HboneDialRequest): Promise<HboneStream> {
  const what = `HBONE CONNECT to ${req.authority} via ${conn.target}`;
  let stream: ClientHttp2Stream;
  try {
    if (req.signal?.aborted) throw new MeshError(ErrorCode.Unavailable, `${what} was aborted`, { cause: req.signal.reason });
    stream = conn.session.request(requestHeaders(req), { endStream: false });
  } catch (err) {
    conn.release();
    return Promise.reject(conn.failure ?? connectionFailure(conn.target, err));
  }
  stream.on('error', () => {
    // Reported through 'close' below, or to whoever splices the stream later.
  });
  stream.once('close', () => conn.release());

  return new Promise<HboneStream>((resolve, reject) => {
    let settled = false;
    const finish = (err: MeshError | undefined, value?: HboneStream): void => {
      if (settled) return;
      settled = true;
      stream.off('close', onClose);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as HboneStream);
    };
    const onClose = (): void => {
      if (conn.failure) return finish(conn.failure);
      const code = stream.rstCode ?? h2.NGHTTP2_NO_ERROR;
      const why = code === h2.NGHTTP2_REFUSED_STREAM ? 'the server refused the stream' : `the stream was reset (HTTP/2 code ${code})`;
      finish(new MeshError(ErrorCode.Unavailable, `${what} failed: ${why}`));
    };
    const onAbort = (): void => {
      if (!stream.closed) stream.close(h2.NGHTTP2_CANCEL);
      finish(new MeshError(ErrorCode.Unavailable, `${what} was aborted`, { cause: req.signal?.reason }));
    };
    stream.once('close', onClose);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('response', (headers: IncomingHttpHeaders) => {
      const status = Number(headers[':status']);
      if (status === 200) {
        finish(undefined, { stream, responseHeaders: plainHeaders(headers) });
        return;
      }
      // Refused: keep the stream until its short body (the reason) has been read.
      stream.off('close', onClose);
      void readReason(stream).then((reason) => {
        if (!stream.closed) stream.close(h2.NGHTTP2_CANCEL);
        const suffix = reason ? `: ${reason}` : '';
        if (settled) return;
        settled = true;
        req.signal?.removeEventListener('abort', onAbort);
        reject(new HboneConnectError(status, `${what} refused with status ${status}${suffix}`));
      }, (err: unknown) => finish(new MeshError(ErrorCode.Internal, `${what}: ${describeError(err)}`)));
    });
  });
}
