// The waypoint's way to an endpoint (a TunnelDialer): HBONE through the endpoint's ztunnel —
// ip:<HBONE port>, `:authority` ip:targetPort, the waypoint's own certificate as the source, the
// endpoint's exact identity expected — pooled in one HbonePool; or, for workloads outside the mesh
// (tunnel NONE), a plain TCP connection to ip:targetPort within the connect timeout. The proxy
// guards every tunnel it writes HTTP to (pkg/hbone/empty-write-guard.ts).

import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { formatAuthority } from '../../pkg/hbone/authority';
import type { HbonePool } from '../../pkg/hbone/pool';
import { tryParseSpiffeId } from '../../pkg/identity/spiffe';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import type { Endpoint, TunnelDialer } from '../state/view';

export interface TunnelDialerOptions {
  readonly pool: HbonePool;
  /** The waypoint's current certificate (the source identity of every tunnel). */
  readonly certificate: () => Promise<WorkloadCertificate>;
  /** Port HBONE is dialled on at endpoints (15008). */
  readonly hbonePort: number;
  readonly connectTimeoutMs: number;
}

export function createTunnelDialer(options: TunnelDialerOptions): TunnelDialer {
  return async (endpoint: Endpoint, signal?: AbortSignal): Promise<Duplex> => {
    if (endpoint.tunnel === 'NONE') return plainConnect(endpoint.ip, endpoint.targetPort, options.connectTimeoutMs, signal);
    const expected = tryParseSpiffeId(endpoint.identity);
    if (!expected) throw new MeshError(ErrorCode.InvalidArgument, `endpoint ${endpoint.uid} has no valid identity (${JSON.stringify(endpoint.identity.slice(0, 200))})`);
    const source = await options.certificate();
    const { stream } = await options.pool.connect({
      source,
      destination: { address: endpoint.ip, port: options.hbonePort },
      expectedIdentities: [expected],
      authority: formatAuthority(endpoint.ip, endpoint.targetPort),
      ...(signal ? { signal } : {}),
    });
    return stream;
  };
}

/** A TCP connection (half-open capable) to host:port; rejects with a MeshError on failure, timeout or abort. */
export function plainConnect(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  const target = formatAuthority(host, port);
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MeshError(ErrorCode.Unavailable, `connect to ${target} was aborted`));
      return;
    }
    const socket = connect({ host, port, allowHalfOpen: true });
    const fail = (err: MeshError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(new MeshError(ErrorCode.Unavailable, `cannot connect to ${target}: ${describeError(err)}`, { cause: err }));
    const onAbort = (): void => fail(new MeshError(ErrorCode.Unavailable, `connect to ${target} was aborted`));
    const timer = setTimeout(() => fail(new MeshError(ErrorCode.Timeout, `connect to ${target} timed out after ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      socket.on('error', () => undefined); // the caller's handlers see errors too; none may crash us
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
