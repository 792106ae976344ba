// HBONE server defaults (ztunnel's numbers) and the HTTP/2 server options derived from them.

import type { SecureServerOptions } from 'node:http2';
import type { HboneServerLimits } from './types';

const MiB = 1024 * 1024;

export type ResolvedServerLimits = Required<HboneServerLimits>;

export const DEFAULT_SERVER_LIMITS: ResolvedServerLimits = Object.freeze({
  maxConcurrentStreams: 200,
  maxHeaderListBytes: 64 * 1024,
  streamWindowBytes: 4 * MiB,
  connectionWindowBytes: 16 * MiB,
  maxFrameBytes: 1 * MiB,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 20_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 10_000,
  halfClosedIdleTimeoutMs: 10 * 60_000,
  maxPrematureResets: 100,
  prematureResetWindowMs: 10_000,
  drainTimeoutMs: 5_000,
});

export function resolveServerLimits(limits: Partial<HboneServerLimits> | undefined): ResolvedServerLimits {
  const out: Record<string, number> = { ...DEFAULT_SERVER_LIMITS };
  for (const [key, value] of Object.entries(limits ?? {})) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return Object.freeze(out as unknown as ResolvedServerLimits);
}

/** Most header fields (pseudo-headers included) in one CONNECT request. */
export const MAX_HEADER_PAIRS = 64;
/** Invalid frames tolerated per session before Node closes it (Node's default is 1000). */
export const MAX_INVALID_FRAMES = 100;
/** Streams refused (over the concurrency limit) per session before Node closes it. */
export const MAX_REJECTED_STREAMS = 100;

/** The HTTP/2 + TLS options for one certificate's server (TLS material added by the caller). */
export function http2ServerOptions(limits: ResolvedServerLimits): SecureServerOptions {
  // maxSessionMemory is in MB and counts queued outbound data: room for a full connection window
  // each way plus headroom, so a busy but well-behaved peer is never refused with ENHANCE_YOUR_CALM.
  const sessionMemoryMb = Math.ceil((2 * limits.connectionWindowBytes) / MiB) + 16;
  return {
    ALPNProtocols: ['h2'],
    allowHTTP1: false,
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: limits.handshakeTimeoutMs,
    maxSessionMemory: sessionMemoryMb,
    maxHeaderListPairs: MAX_HEADER_PAIRS,
    maxSessionInvalidFrames: MAX_INVALID_FRAMES,
    maxSessionRejectedStreams: MAX_REJECTED_STREAMS,
    peerMaxConcurrentStreams: limits.maxConcurrentStreams,
    settings: {
      enablePush: false,
      initialWindowSize: limits.streamWindowBytes,
      maxFrameSize: limits.maxFrameBytes,
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderListBytes,
    },
  };
}
