// Byte splicing between two duplex streams (a tunnel stream and a TCP socket, or two of either):
// back-pressure via pipe, half-close carried end to end (a FIN on one side ends only the other
// side's writable), an abnormal end on either side resets the other (RST_STREAM for an
// HTTP/2 stream, TCP RST for a socket), idle and half-closed-idle reaping, and byte counts.
// Net sockets given to splice must be created with `allowHalfOpen: true`.

import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SpliceOptions {
  /** No bytes in either direction for this long tears both sides down. */
  readonly idleTimeoutMs?: number;
  /** Once one direction has finished, no bytes for this long tears both sides down. */
  readonly halfClosedIdleTimeoutMs?: number;
}

export interface SpliceResult {
  readonly aToB: number;
  readonly bToA: number;
  /** `complete`: both directions ended cleanly; `reset`: a side failed or was reset; `idle-timeout`. */
  readonly outcome: 'complete' | 'reset' | 'idle-timeout';
  /** The first error seen, when the outcome is `reset`. */
  readonly error?: unknown;
}

interface ResettableStream {
  readonly rstCode?: number;
  readonly closed?: boolean;
  close(code?: number): void;
}

function isHttp2Stream(stream: Duplex): stream is Duplex & ResettableStream {
  return 'rstCode' in stream && typeof (stream as Partial<ResettableStream>).close === 'function' && 'session' in stream;
}

const ignore = (): void => undefined;

/** Tears a stream down abruptly: RST_STREAM for HTTP/2, TCP RST for a socket. */
export function abortDuplex(stream: Duplex): void {
  if (stream.destroyed) return;
  if (isHttp2Stream(stream)) {
    // close(code) on a stream whose write side is open sends END_STREAM first, so the peer would
    // see a clean end; destroying it with an error sends RST_STREAM (INTERNAL_ERROR) alone.
    stream.on('error', ignore);
    stream.destroy(new Error('HBONE stream aborted'));
    return;
  }
  if (stream instanceof Socket) {
    try {
      stream.resetAndDestroy(); // throws for sockets whose handle is not TCP (TLS, pipes)
      return;
    } catch {
      // fall through to a plain destroy
    }
  }
  stream.destroy();
}

/** Splices `a` and `b` until both directions finish or one side fails; never rejects. */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  return new Promise<SpliceResult>((resolve) => {
    const bytes = { aToB: 0, bToA: 0 };
    const state = { aEnded: false, bEnded: false, aFinished: false, bFinished: false };
    let settled = false;
    let firstError: unknown;
    let lastActivity = Date.now();
    let timer: NodeJS.Timeout | undefined;

    const directionDone = (): { aToB: boolean; bToA: boolean } => ({
      aToB: state.aEnded && state.bFinished,
      bToA: state.bEnded && state.aFinished,
    });

    const settle = (outcome: SpliceResult['outcome']): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (outcome !== 'complete') {
        abortDuplex(a);
        abortDuplex(b);
      }
      resolve(outcome === 'reset' && firstError !== undefined ? { ...bytes, outcome, error: firstError } : { ...bytes, outcome });
    };

    const currentLimit = (): number | undefined => {
      const done = directionDone();
      return done.aToB || done.bToA ? (options.halfClosedIdleTimeoutMs ?? options.idleTimeoutMs) : options.idleTimeoutMs;
    };

    const arm = (): void => {
      if (settled) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const limit = currentLimit();
      if (limit === undefined || limit <= 0) return;
      const remaining = lastActivity + limit - Date.now();
      if (remaining <= 0) {
        settle('idle-timeout');
        return;
      }
      timer = setTimeout(arm, remaining);
      timer.unref();
    };

    const progress = (): void => {
      const done = directionDone();
      if (done.aToB && done.bToA) settle('complete');
      else arm();
    };

    const fail = (err?: unknown): void => {
      if (firstError === undefined && err !== undefined) firstError = err;
      settle('reset');
    };

    const watch = (self: Duplex, side: 'a' | 'b'): void => {
      self.on('error', fail);
      self.on('data', (chunk: Buffer) => {
        lastActivity = Date.now();
        if (side === 'a') bytes.aToB += chunk.length;
        else bytes.bToA += chunk.length;
      });
      self.once('end', () => {
        if (side === 'a') state.aEnded = true;
        else state.bEnded = true;
        progress();
      });
      self.once('finish', () => {
        if (side === 'a') state.aFinished = true;
        else state.bFinished = true;
        progress();
      });
      self.once('close', () => {
        const ended = side === 'a' ? state.aEnded : state.bEnded;
        const finished = side === 'a' ? state.aFinished : state.bFinished;
        if (!ended || !finished) fail();
        else progress();
      });
    };

    watch(a, 'a');
    watch(b, 'b');
    if (a.destroyed || b.destroyed) {
      fail();
      return;
    }
    a.pipe(b);
    b.pipe(a);
    arm();
  });
}
