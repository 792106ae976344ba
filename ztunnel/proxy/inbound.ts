// The inbound HBONE side (15008): which certificate a connection arriving on a pod address gets,
// and the CONNECT handler — planInbound (target must be that pod, no self-calls), authorization
// (401), a connect to the app with the real client's address as source (503 on failure), then the
// HBONE server answers 200 and splices. Telemetry as reporter=destination; bytes are read from the
// app socket when it closes, since the server owns the splice. A re-check that closes the
// connection resets the app socket; the server's splice then resets the tunnel stream.

import type { Socket } from 'node:net';
import { describeError } from '../../pkg/errors/mesh-error';
import type { ConnectHandler, ConnectOutcome, ConnectRequest } from '../../pkg/hbone/types';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { RESPONSE_FLAGS, baggageMeta, tcpLabels, workloadMeta, type ResponseFlag } from '../telemetry/labels';
import type { ConnectionRecord } from '../telemetry/tcp-metrics';
import type { TrackedConnection } from './connection-tracker';
import { admitConnection } from './admission';
import { abortReason, addressText, connectTarget, type ProxyContext } from './context';
import type { AuthorizationRequest } from './authorize';
import { localWorkload, planInbound } from './inbound-plan';
import { workloadBaggage, workloadIdentity } from './workload-info';

/** The certificate to present on `localAddress`: the local HBONE workload's there, else none. */
export function inboundCertificate(ctx: ProxyContext, localAddress: string): Promise<WorkloadCertificate> | undefined {
  const workload = localWorkload(ctx.deps.state, ctx.plan, localAddress);
  if (!workload || workload.tunnelProtocol !== 'HBONE') return undefined;
  const identity = workloadIdentity(workload);
  return identity ? ctx.deps.certificateFor(identity) : undefined;
}

function rejected(record: ConnectionRecord, status: 400 | 401 | 503, reason: string, flag: ResponseFlag): ConnectOutcome {
  record.finish({ received: 0, sent: 0, error: reason, flag });
  return { kind: 'rejected', status, reason };
}

export function inboundConnectHandler(ctx: ProxyContext): ConnectHandler {
  return async (request: ConnectRequest): Promise<ConnectOutcome> => {
    const conn = ctx.tracker.track('inbound');
    try {
      return await serveConnect(ctx, request, conn);
    } catch (err) {
      conn.done();
      ctx.deps.logger.error(`inbound HBONE: unexpected failure: ${describeError(err)}`);
      return { kind: 'rejected', status: 503, reason: 'internal error' };
    }
  };
}

async function serveConnect(ctx: ProxyContext, request: ConnectRequest, conn: TrackedConnection): Promise<ConnectOutcome> {
  const plan = planInbound(ctx.deps.state, ctx.plan, {
    localAddress: request.localAddress,
    authority: request.authority,
    peerIdentity: request.peer.identity,
    peerAddress: request.peer.address,
    ...(request.forwarded ? { forwarded: request.forwarded } : {}),
  });
  const destination = plan.destination;
  const destinationIdentity = destination ? workloadIdentity(destination) : undefined;
  const sourceWorkload = plan.kind === 'deliver' ? plan.sourceWorkload : undefined;
  const service = plan.kind === 'deliver' ? plan.service : undefined;
  const labels = tcpLabels({
    reporter: 'destination',
    source: sourceWorkload ? workloadMeta(sourceWorkload) : baggageMeta(request.baggage),
    sourcePrincipal: request.peer.identity,
    destination: workloadMeta(destination),
    ...(destinationIdentity ? { destinationPrincipal: destinationIdentity } : {}),
    ...(service ? { service } : {}),
    mtls: true,
  });
  const clientAddress = plan.kind === 'deliver' ? plan.sourceAddress : request.peer.address;
  const clientPort = plan.kind === 'deliver' && request.forwarded?.forAddress === clientAddress ? (request.forwarded.forPort ?? 0) : request.peer.port;
  const record = ctx.telemetry.open(labels, {
    srcAddr: addressText(clientAddress, clientPort),
    ...(sourceWorkload ? { srcWorkload: sourceWorkload.name, srcNamespace: sourceWorkload.namespace } : {}),
    srcIdentity: formatSpiffeId(request.peer.identity),
    dstAddr: addressText(plan.kind === 'deliver' ? plan.address : request.localAddress, plan.kind === 'deliver' ? plan.port : request.localPort),
    dstHboneAddr: addressText(request.authority.host, request.authority.port),
    ...(service ? { dstService: service.hostname } : {}),
    ...(destination ? { dstWorkload: destination.name, dstNamespace: destination.namespace } : {}),
    ...(destinationIdentity ? { dstIdentity: formatSpiffeId(destinationIdentity) } : {}),
    direction: 'inbound',
  });
  if (plan.kind === 'reject') {
    conn.done();
    return rejected(record, plan.status, plan.reason, plan.status === 400 ? RESPONSE_FLAGS.deny : RESPONSE_FLAGS.connect);
  }
  const admission: AuthorizationRequest = {
    sourceIdentity: request.peer.identity,
    sourceAddress: plan.sourceAddress,
    ...(plan.sourceWorkload ? { sourceWorkload: plan.sourceWorkload } : {}),
    destination: plan.destination,
    destinationAddress: plan.address,
    destinationPort: plan.port,
  };
  const decision = admitConnection(ctx, conn, admission, [record]);
  if (!decision.allow) {
    conn.done();
    return rejected(record, 401, `denied by authorization policy: ${decision.reason}`, RESPONSE_FLAGS.deny);
  }
  // Both the client going away and the shutdown deadline stop the connect.
  const onGone = (): void => conn.clientGone('the client closed the stream');
  request.signal.addEventListener('abort', onGone, { once: true });
  let upstream: Socket;
  try {
    upstream = await connectTarget(ctx, { address: plan.address, port: plan.port }, plan.sourceAddress, conn.signal);
  } catch (err) {
    conn.done();
    const why = abortReason(conn.signal, `cannot connect to ${addressText(plan.address, plan.port)}: ${describeError(err)}`);
    return rejected(record, 503, why, RESPONSE_FLAGS.connect);
  } finally {
    request.signal.removeEventListener('abort', onGone);
  }
  conn.add(upstream);
  conn.startSplicing();
  let firstError: string | undefined;
  upstream.once('error', (err: Error) => {
    firstError ??= describeError(err);
  });
  upstream.once('close', () => {
    // The app socket carried the request bytes out (written) and the response bytes in (read).
    const error = conn.signal.aborted ? abortReason(conn.signal, '') : firstError;
    record.finish({ received: upstream.bytesWritten, sent: upstream.bytesRead, ...(error !== undefined ? { error } : {}) });
    conn.done();
  });
  return { kind: 'connected', upstream, responseBaggage: workloadBaggage(plan.destination) };
}
