// HTTP/2 PING liveness for an HBONE session (client or server side): one PING every interval,
// the first after one interval; a PING unanswered after the timeout destroys the session, so a
// black-holed peer cannot hold a connection (and its streams) forever.

import type { Http2Session } from 'node:http2';
import { ErrorCode, MeshError } from '../errors/mesh-error';

export interface KeepaliveOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Called once, just before the session is destroyed for a missed PING. */
  readonly onTimeout?: () => void;
}

/** Starts PING keepalive; stops by itself when the session closes. Returns a stop function. */
export function startKeepalive(session: Http2Session, options: KeepaliveOptions): () => void {
  let interval: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let stopped = false;

  const stop = (): void => {
    stopped = true;
    if (interval) clearInterval(interval);
    if (deadline) clearTimeout(deadline);
    interval = undefined;
    deadline = undefined;
  };

  const sendPing = (): void => {
    if (stopped || session.destroyed || session.closed || deadline) return;
    deadline = setTimeout(() => {
      deadline = undefined;
      if (stopped || session.destroyed) return;
      options.onTimeout?.();
      stop();
      // With an error, so open streams fail loudly instead of looking cleanly ended.
      session.destroy(new MeshError(ErrorCode.Unavailable, `the HTTP/2 peer did not answer a PING within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    deadline.unref();
    try {
      // An error in the callback means the session is going away; its close handling applies.
      // A false return (too many PINGs outstanding) leaves the deadline to decide.
      session.ping(() => {
        if (deadline) clearTimeout(deadline);
        deadline = undefined;
      });
    } catch {
      // The session was destroyed between the check and the call.
      stop();
    }
  };

  if (options.intervalMs > 0 && options.timeoutMs > 0) {
    interval = setInterval(sendPing, options.intervalMs);
    interval.unref();
  }
  session.once('close', stop);
  return stop;
}
