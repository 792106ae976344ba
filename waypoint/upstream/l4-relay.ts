// L4 relay for TCP/TLS ports (and UNKNOWN ports that are not HTTP): one endpoint of the stream's
// backend per connection (healthy, not ejected, balancer; consistent hash by source IP when so
// configured), the backend's connection limit, a tunnel from the dialer, then bytes spliced both
// ways with half-close. A connect failure counts for outlier detection and resets the client's
// stream; so does having no endpoint or being over the limit.

import type { Duplex } from 'node:stream';
import type { Backend } from '../../pkg/api/waypoint-types';
import { describeError } from '../../pkg/errors/mesh-error';
import { abortDuplex, splice } from '../../pkg/hbone/splice';
import type { Logger } from '../../pkg/log/logger';
import { hashKeyFor } from './balancer';
import type { Endpoint, TunnelDialer } from '../state/view';
import { RESPONSE_FLAGS, type ResponseFlag } from '../telemetry/labels';
import type { BackendState } from './backend-state';
import { endpointAddress, openTunnel } from './tunnel';

export interface L4RelayInput {
  readonly stream: Duplex;
  /** Bytes already read from a stream that has ended (sniffing saw its end). */
  readonly endedWith?: Buffer;
  readonly backend: Backend;
  readonly state: BackendState;
  readonly endpoints: readonly Endpoint[];
  readonly dial: TunnelDialer;
  readonly sourceIp: string;
  readonly random: () => number;
  readonly now: () => number;
  readonly logger: Logger;
}

export interface L4RelayResult {
  readonly endpoint?: Endpoint;
  readonly flag: ResponseFlag;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly error?: string;
}

/** Relays one connection (`onConnected` once the tunnel is up); resolves when it is over. Never rejects. */
export async function relayL4(input: L4RelayInput, onConnected?: (ep: Endpoint) => void): Promise<L4RelayResult> {
  const { state, stream } = input;
  const hashKey = hashKeyFor(input.backend.lb.hash, { header: () => undefined, query: '', sourceIp: input.sourceIp });
  const pick = state.pick(input.endpoints, hashKey, input.random, input.now());
  if (pick.kind === 'none') {
    abortDuplex(stream);
    return { flag: RESPONSE_FLAGS.noHealthyUpstream, bytesReceived: 0, bytesSent: 0, error: 'no healthy upstream' };
  }
  const ep = pick.endpoint;
  const release = state.tryStartConnection();
  if (!release) {
    abortDuplex(stream);
    return { endpoint: ep, flag: RESPONSE_FLAGS.overflow, bytesReceived: 0, bytesSent: 0, error: 'upstream overflow' };
  }
  const inFlight = state.started(ep.uid);
  try {
    let tunnel: Duplex;
    try {
      tunnel = await openTunnel(input.dial, ep);
    } catch (err) {
      if (state.record(ep.uid, 'gateway-error', input.now(), pick.hostCount)) {
        input.logger.warn(`waypoint: outlier detection ejected ${ep.uid} (${endpointAddress(ep)}) from backend ${state.backend.name}`);
      }
      abortDuplex(stream);
      return { endpoint: ep, flag: RESPONSE_FLAGS.connectFailure, bytesReceived: 0, bytesSent: 0, error: describeError(err) };
    }
    state.record(ep.uid, 'success', input.now(), pick.hostCount);
    if (stream.destroyed) {
      tunnel.destroy();
      return { endpoint: ep, flag: RESPONSE_FLAGS.downstreamDisconnect, bytesReceived: 0, bytesSent: 0 };
    }
    onConnected?.(ep);
    if (input.endedWith) return await relayEnded(stream, tunnel, input.endedWith, ep);
    const result = await splice(stream, tunnel);
    return {
      endpoint: ep,
      flag: RESPONSE_FLAGS.none,
      bytesReceived: result.aToB,
      bytesSent: result.bToA,
      ...(result.outcome === 'reset' ? { error: result.error !== undefined ? describeError(result.error) : 'connection reset' } : {}),
      ...(result.outcome === 'idle-timeout' ? { error: 'idle timeout' } : {}),
    };
  } finally {
    release();
    inFlight();
  }
}

/** The client already half-closed: send what it sent, then relay the answer back. */
function relayEnded(stream: Duplex, tunnel: Duplex, sent: Buffer, ep: Endpoint): Promise<L4RelayResult> {
  return new Promise((resolve) => {
    let back = 0;
    tunnel.on('data', (c: Buffer) => {
      back += c.length;
    });
    tunnel.pipe(stream);
    tunnel.end(sent);
    const done = (): void => resolve({ endpoint: ep, flag: RESPONSE_FLAGS.none, bytesReceived: sent.length, bytesSent: back });
    stream.once('close', done);
    tunnel.once('close', () => {
      if (!stream.writableEnded) stream.end();
    });
  });
}
