// What every proxy handler shares, built once per process in index.ts: the dependencies, the
// derived plan settings, the one HBONE client pool, the authorization hook, telemetry and the
// connection tracker — plus the small socket helpers the handlers have in common.

import type { Socket } from 'node:net';
import { describeError } from '../../pkg/errors/mesh-error';
import { formatAuthority } from '../../pkg/hbone/authority';
import type { HbonePool } from '../../pkg/hbone/pool';
import type { AuthorizationMetrics } from '../telemetry/authz-metrics';
import type { TcpTelemetry } from '../telemetry/tcp-metrics';
import type { Authorizer } from './authorize';
import type { ConnectionTracker } from './connection-tracker';
import type { PlanSettings } from './outbound-plan';
import type { ProxyDeps } from './types';

/** Options beyond the ProxyDeps contract (all optional). */
export interface ProxyOptions {
  /** The L4 authorization hook (default: allow everything). */
  readonly authorize?: Authorizer;
  /** Random source in [0, 1) for endpoint choice (tests inject a fixed sequence). */
  readonly random?: () => number;
}

export interface ProxyContext {
  readonly deps: ProxyDeps;
  /** Replaced once the listeners are bound (their real ports join the self-call set). */
  plan: PlanSettings;
  readonly pool: HbonePool;
  readonly authorize: Authorizer;
  readonly telemetry: TcpTelemetry;
  readonly authzMetrics: AuthorizationMetrics;
  readonly tracker: ConnectionTracker;
  readonly random: () => number;
}

/** An original destination (or any target): IP literal and port. */
export interface Destination {
  readonly address: string;
  readonly port: number;
}

export function noop(): void {
  // deliberately empty: an 'error' listener that only keeps the process alive
}

/** Tears a client socket down with a TCP RST (a plain destroy when RST is not possible). */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** `ip:port`, IPv6 bracketed. */
export function addressText(address: string, port: number): string {
  return formatAuthority(address, port);
}

/** Connects to an app or passthrough target with the client's address as source, bounded in time. */
export async function connectTarget(ctx: ProxyContext, target: Destination, sourceAddress: string, signal: AbortSignal): Promise<Socket> {
  const socket = await ctx.deps.sockets.connect({
    host: target.address,
    port: target.port,
    sourceAddress,
    timeoutMs: ctx.deps.settings.connectTimeoutMs,
    signal,
  });
  socket.on('error', noop);
  return socket;
}

/** Why a connection ended abnormally: the reason it was aborted with (re-check, shutdown), else `fallback`. */
export function abortReason(signal: AbortSignal, fallback: string): string {
  return signal.aborted ? describeError(signal.reason) : fallback;
}

/** A handler failure that escaped: one log line, the client reset. Never throws. */
export function handlerCrashed(ctx: ProxyContext, what: string, socket: Socket, err: unknown): void {
  try {
    ctx.deps.logger.error(`${what}: unexpected failure, connection reset: ${describeError(err)}`);
  } finally {
    resetSocket(socket);
  }
}
