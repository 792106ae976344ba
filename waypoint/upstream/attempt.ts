// One upstream attempt: a request to one endpoint over the backend's HTTP/1.1 pool or HTTP/2
// session, the request body streamed from the replayable body, resolving when the response head
// arrives or with why there is none (connect failure, reset, refused stream, protocol error,
// overflow of the pending queue, or aborted by the caller's signal — per-try/route timeout or the
// client gone). Never rejects; an abort after the head tears the upstream stream down.

import http from 'node:http';
import http2 from 'node:http2';
import type { Readable, Writable } from 'node:stream';
import { h1RequestHeaders, h2RequestHeaders } from '../http/headers';
import type { HeaderBag } from '../routing/filters';
import type { Endpoint } from '../state/view';
import type { BackendState } from './backend-state';
import { isDialError } from './tunnel';

const MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

export interface UpstreamRequestSpec {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly authority: string;
  /** Cleaned request headers (no pseudo-headers, no hop-by-hop ones except `te: trailers`). */
  readonly headers: HeaderBag;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly body: Readable;
  /** HTTP/2 HEADERS carried END_STREAM (a gRPC trailers-only response). */
  readonly endAfterHeaders: boolean;
  /** Trailers, once the body has ended. */
  trailers(): HeaderBag | undefined;
  /** Tears the upstream stream down. */
  abort(): void;
}

export type FailureOutcome = 'connect-failure' | 'reset' | 'refused-stream' | 'protocol-error' | 'overflow' | 'aborted';

export type AttemptResult =
  | { readonly kind: 'response'; readonly response: UpstreamResponse }
  | { readonly kind: 'failure'; readonly outcome: FailureOutcome; readonly error?: unknown };

/** Something that can be given the request body. */
export interface BodySource {
  attach(sink: Writable): void;
  detach(): void;
}

export interface AttemptOptions {
  readonly state: BackendState;
  readonly endpoint: Endpoint;
  readonly protocol: 'h1' | 'h2';
  readonly request: UpstreamRequestSpec;
  readonly body: BodySource;
  readonly signal: AbortSignal;
}

function classify(err: unknown): FailureOutcome {
  if (isDialError(err)) return 'connect-failure';
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (code.startsWith('HPE_') || code === 'ERR_HTTP2_INVALID_HEADER_VALUE')) return 'protocol-error';
  return 'reset';
}

function toBag(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): HeaderBag {
  const out: HeaderBag = {};
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v !== undefined && name.charCodeAt(0) !== 0x3a) out[name] = Array.isArray(v) ? v : String(v);
  }
  return out;
}

export function sendAttempt(o: AttemptOptions): Promise<AttemptResult> {
  return o.protocol === 'h2' ? attemptH2(o) : attemptH1(o);
}

async function attemptH1(o: AttemptOptions): Promise<AttemptResult> {
  const pool = o.state.h1;
  const origin = pool.originFor(o.endpoint);
  if (!pool.hasCapacity(origin)) {
    const releaseQueue = o.state.limits.tryQueue();
    if (!releaseQueue) return { kind: 'failure', outcome: 'overflow' };
    // Re-checked after every wake-up: the request must go in the same turn it saw room.
    while (!pool.hasCapacity(origin)) {
      if (!(await pool.waitForCapacity(origin, o.signal))) {
        releaseQueue();
        return { kind: 'failure', outcome: 'aborted' };
      }
    }
    releaseQueue();
  }
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      if (r.kind === 'failure') o.body.detach();
      resolve(r);
    };
    const req = http.request({
      agent: pool,
      host: origin,
      method: o.request.method,
      path: o.request.path,
      headers: h1RequestHeaders(o.request.headers, o.request.authority),
      setHost: false,
      maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
    });
    const onAbort = (): void => {
      req.destroy();
      settle({ kind: 'failure', outcome: 'aborted' });
    };
    if (o.signal.aborted) {
      onAbort();
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => settle({ kind: 'failure', outcome: classify(err), error: err }));
    req.once('close', () => {
      o.signal.removeEventListener('abort', onAbort);
      settle({ kind: 'failure', outcome: 'reset' });
    });
    req.once('response', (res: http.IncomingMessage) => {
      res.on('error', () => undefined);
      settle({
        kind: 'response',
        response: {
          status: res.statusCode ?? 502,
          headers: toBag(res.headers),
          body: res,
          endAfterHeaders: false,
          trailers: () => (res.complete ? toBag(res.trailers) : undefined),
          abort: () => req.destroy(),
        },
      });
    });
    o.body.attach(req);
  });
}

async function attemptH2(o: AttemptOptions): Promise<AttemptResult> {
  if (o.signal.aborted) return { kind: 'failure', outcome: 'aborted' };
  let stream: http2.ClientHttp2Stream;
  try {
    const r = o.request;
    stream = await o.state.h2.request(o.endpoint, h2RequestHeaders(r.method, r.path, r.authority, r.headers));
  } catch (err) {
    return { kind: 'failure', outcome: classify(err), error: err };
  }
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let trailers: HeaderBag | undefined;
    const settle = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      if (r.kind === 'failure') o.body.detach();
      resolve(r);
    };
    const onAbort = (): void => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      settle({ kind: 'failure', outcome: 'aborted' });
    };
    if (o.signal.aborted) {
      onAbort();
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('error', (err) => settle({ kind: 'failure', outcome: classify(err), error: err }));
    stream.once('close', () => {
      o.signal.removeEventListener('abort', onAbort);
      const refused = stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM;
      settle({ kind: 'failure', outcome: refused ? 'refused-stream' : 'reset' });
    });
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = toBag(t);
    });
    stream.once('response', (headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, flags: number) => {
      const endAfterHeaders = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      const status = Number(headers[':status'] ?? 502);
      settle({
        kind: 'response',
        response: {
          status,
          headers: toBag(headers),
          body: stream,
          endAfterHeaders,
          trailers: () => trailers,
          abort: () => {
            if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
          },
        },
      });
    });
    o.body.attach(stream);
  });
}
