// Streaming an upstream response to the client: headers cleaned and mutated (backend, then route),
// the body piped with back-pressure, trailers carried (gRPC status), a trailers-only upstream
// response sent as trailers-only, and the three ways it can end early: the upstream resets (the
// client's stream is reset too — never a silently truncated body), the client goes away (the
// upstream stream is cancelled), or the caller's signal fires (route timeout).

import type { Writable } from 'node:stream';
import type { HeaderMutation } from '../../pkg/api/waypoint-types';
import { applyHeaderMutation, type HeaderBag } from '../routing/filters';
import type { UpstreamResponse } from '../upstream/attempt';
import type { DownstreamResponse } from './errors';
import { cleanResponseHeaders, headerBytes, outgoingHeaders } from './headers';

export interface RelayOptions {
  readonly mutations: readonly (HeaderMutation | undefined)[];
  readonly draining: boolean;
  /** Aborts the relay (route timeout). */
  readonly signal: AbortSignal;
}

export interface RelayResult {
  readonly outcome: 'complete' | 'upstream-reset' | 'downstream-gone' | 'aborted' | 'invalid-response';
  readonly status: number;
  /** From trailers (or a trailers-only head); '' when absent. */
  readonly grpcStatus: string;
  /** Headers and body bytes sent to the client. */
  readonly bytes: number;
}

function isH2(res: DownstreamResponse): res is DownstreamResponse & { stream: import('node:http2').ServerHttp2Stream } {
  return 'stream' in res;
}

function grpcStatusIn(h: HeaderBag | undefined): string {
  const v = h?.['grpc-status'];
  return typeof v === 'string' ? v : '';
}

export function relayResponse(res: DownstreamResponse, up: UpstreamResponse, o: RelayOptions): Promise<RelayResult> {
  return new Promise<RelayResult>((resolve) => {
    const headers = cleanResponseHeaders(up.headers);
    for (const m of o.mutations) applyHeaderMutation(headers, m);
    const out = outgoingHeaders(headers);
    if (o.draining && !isH2(res)) out.connection = 'close';
    let bytes = headerBytes(headers);
    let settled = false;
    const finish = (outcome: RelayResult['outcome'], grpcStatus = grpcStatusIn(up.headers)): void => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      res.off('close', onDownstreamClose);
      resolve({ outcome, status: up.status, grpcStatus, bytes });
    };
    const onAbort = (): void => {
      up.abort();
      res.destroy();
      finish('aborted');
    };
    const onDownstreamClose = (): void => {
      if (res.writableFinished) return;
      up.abort();
      finish('downstream-gone');
    };
    if (o.signal.aborted || res.destroyed) {
      up.abort();
      finish(res.destroyed ? 'downstream-gone' : 'aborted');
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    res.on('close', onDownstreamClose);

    try {
      if (up.endAfterHeaders && isH2(res)) {
        res.stream.respond({ ...out, ':status': up.status }, { endStream: true });
        finish('complete');
        return;
      }
      res.writeHead(up.status, out);
      if (up.endAfterHeaders) {
        res.end();
        finish('complete');
        return;
      }
    } catch {
      // An upstream status or header value the client protocol cannot carry.
      up.abort();
      finish('invalid-response');
      return;
    }

    const body = up.body;
    const sink: Writable = res;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!sink.write(chunk)) {
        body.pause();
        sink.once('drain', () => body.resume());
      }
    });
    body.once('end', () => {
      const trailers = up.trailers();
      if (trailers && Object.keys(trailers).length > 0) {
        bytes += headerBytes(trailers);
        try {
          res.addTrailers(outgoingHeaders(cleanResponseHeaders(trailers)));
        } catch {
          // invalid trailer from upstream: dropped
        }
      }
      res.end(() => finish('complete', grpcStatusIn(trailers) || grpcStatusIn(up.headers)));
    });
    body.once('close', () => {
      if (body.readableEnded) return;
      res.destroy();
      finish('upstream-reset');
    });
  });
}
