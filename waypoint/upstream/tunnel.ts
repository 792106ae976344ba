// Opening upstream tunnels: the shell's TunnelDialer wrapped so that a failure to open one is a
// recognisable DialError (an "upstream connect error", retriable as connect-failure and counted
// against the endpoint by outlier detection), plus the key that names an endpoint in the pools.

import type { Duplex } from 'node:stream';
import { guardEmptyWrites } from '../../pkg/hbone/empty-write-guard';
import { describeError, ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { Endpoint, TunnelDialer } from '../state/view';

/** Idle upstream tunnels (HTTP/1.1 keep-alive sockets, HTTP/2 sessions without streams) close after this. */
export const UPSTREAM_IDLE_MS = 60_000;

/** The dialer could not open a tunnel to the endpoint. */
export class DialError extends MeshError {
  constructor(readonly endpoint: Endpoint, cause: unknown) {
    super(ErrorCode.Unavailable, `cannot open a tunnel to ${endpointAddress(endpoint)}: ${describeError(cause)}`, { cause });
    this.name = 'DialError';
  }
}

export function isDialError(err: unknown): err is DialError {
  return err instanceof DialError;
}

/** `ip:port` of an endpoint (IPv6 bracketed). */
export function endpointAddress(ep: Pick<Endpoint, 'ip' | 'targetPort'>): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.targetPort}` : `${ep.ip}:${ep.targetPort}`;
}

/** The pool key of an endpoint: where a tunnel goes and whom it must reach. */
export function endpointKey(ep: Endpoint): string {
  return `${endpointAddress(ep)}|${ep.tunnel}|${ep.identity}`;
}

const noop = (): void => undefined;


/** Dials, turning any failure (or a dialer that throws) into a DialError. */
export async function openTunnel(dial: TunnelDialer, ep: Endpoint, signal?: AbortSignal): Promise<Duplex> {
  let tunnel: Duplex;
  try {
    tunnel = await dial(ep, signal);
  } catch (err) {
    throw new DialError(ep, err);
  }
  // A tunnel that fails later reports through whoever uses it; never as an unhandled 'error'.
  tunnel.on('error', noop);
  // node:http writes to it: guard against Node's HTTP/2 write bugs.
  guardEmptyWrites(tunnel);
  if (signal?.aborted) {
    tunnel.destroy();
    throw new DialError(ep, signal.reason ?? new Error('aborted'));
  }
  return tunnel;
}
