// The last step every proxy path shares: tell the client the outcome (hooks: SOCKS5 answers with a
// reply code, captured connections get an RST on refusal), splice client ↔ upstream with
// back-pressure and half-close, and finish the connection's telemetry records with the byte counts.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describeError } from '../../pkg/errors/mesh-error';
import { abortDuplex, splice } from '../../pkg/hbone/splice';
import type { ResponseFlag } from '../telemetry/labels';
import type { ConnectionRecord } from '../telemetry/tcp-metrics';
import type { TrackedConnection } from './connection-tracker';
import { abortReason, noop, resetSocket } from './context';

/** Why a connection could not be made (SOCKS5 maps these to reply codes). */
export type Refusal = 'denied' | 'unreachable' | 'failed';

/** How the client learns the outcome before bytes flow. */
export interface ClientHooks {
  /** The upstream is connected; called just before splicing. */
  established(): void;
  /** The connection cannot be made; answer the client and close it. */
  refused(why: Refusal, message: string): void;
}

/** Captured connections: nothing to say on success, a TCP RST on refusal. */
export function resetHooks(socket: Socket): ClientHooks {
  return { established: noop, refused: () => resetSocket(socket) };
}

/** Refuses the client and records the failure on every record. */
export function refuse(hooks: ClientHooks, why: Refusal, message: string, flag: ResponseFlag, ...records: ConnectionRecord[]): void {
  hooks.refused(why, message);
  for (const record of records) record.finish({ received: 0, sent: 0, error: message, flag });
}

/** Splices client ↔ upstream (unless the connection was aborted meanwhile); records bytes and any abnormal end. */
export async function spliceAndRecord(
  client: Socket,
  upstream: Duplex,
  conn: TrackedConnection,
  hooks: ClientHooks,
  ...records: ConnectionRecord[]
): Promise<void> {
  upstream.on('error', noop);
  if (conn.signal.aborted || client.destroyed) {
    abortDuplex(upstream);
    const error = abortReason(conn.signal, 'the client closed the connection');
    hooks.refused('failed', error);
    for (const record of records) record.finish({ received: 0, sent: 0, error });
    return;
  }
  conn.add(upstream);
  conn.startSplicing();
  hooks.established();
  const result = await splice(client, upstream);
  let error: string | undefined;
  if (result.outcome === 'idle-timeout') error = 'idle timeout';
  // A connection closed on purpose (policy re-check, shutdown deadline) says why, not just "reset".
  else if (result.outcome === 'reset') error = abortReason(conn.signal, result.error !== undefined ? describeError(result.error) : 'connection reset');
  for (const record of records) record.finish({ received: result.aToB, sent: result.bToA, ...(error !== undefined ? { error } : {}) });
}
