// The inbound plaintext proxy (15006): a captured non-HBONE connection to a local pod (original
// destination = the accepted socket's local address). A local workload must own that address;
// authorization runs with no source identity; the app is dialled with the client's address as
// source; bytes are spliced. Telemetry as reporter=destination, connection_security_policy unknown.

import type { Socket } from 'node:net';
import { describeError } from '../../pkg/errors/mesh-error';
import { unmapIpv4 } from '../../pkg/hbone/authority';
import { RESPONSE_FLAGS, tcpLabels, workloadMeta } from '../telemetry/labels';
import { admitConnection } from './admission';
import { abortReason, addressText, connectTarget, handlerCrashed, noop, resetSocket, type Destination, type ProxyContext } from './context';
import type { AuthorizationRequest } from './authorize';
import { planPlaintextInbound } from './inbound-plan';
import { refuse, resetHooks, spliceAndRecord } from './relay';

/** Handles one captured plaintext connection; `dest` defaults to the socket's local address. */
export async function handleInboundPlaintext(ctx: ProxyContext, socket: Socket, dest?: Destination): Promise<void> {
  socket.on('error', noop);
  if (ctx.tracker.closing) {
    resetSocket(socket);
    return;
  }
  const conn = ctx.tracker.track('inbound');
  conn.add(socket);
  const onClientGone = (): void => conn.clientGone('the client closed the connection');
  socket.once('close', onClientGone);
  try {
    const clientIP = unmapIpv4(socket.remoteAddress ?? '');
    const clientPort = socket.remotePort ?? 0;
    const target = dest ?? { address: unmapIpv4(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    const plan = planPlaintextInbound(ctx.deps.state, ctx.plan, { localAddress: target.address, localPort: target.port, clientIP });
    const destination = plan.destination;
    const sourceWorkload = plan.kind === 'deliver' ? plan.sourceWorkload : undefined;
    const service = plan.kind === 'deliver' ? plan.service : undefined;
    const record = ctx.telemetry.open(
      tcpLabels({
        reporter: 'destination',
        source: workloadMeta(sourceWorkload),
        destination: workloadMeta(destination),
        ...(service ? { service } : {}),
        mtls: false,
      }),
      {
        srcAddr: addressText(clientIP, clientPort),
        ...(sourceWorkload ? { srcWorkload: sourceWorkload.name, srcNamespace: sourceWorkload.namespace } : {}),
        dstAddr: addressText(unmapIpv4(target.address), target.port),
        ...(service ? { dstService: service.hostname } : {}),
        ...(destination ? { dstWorkload: destination.name, dstNamespace: destination.namespace } : {}),
        direction: 'inbound',
      },
    );
    const hooks = resetHooks(socket);
    if (plan.kind === 'reject') {
      refuse(hooks, 'denied', plan.reason, plan.status === 400 ? RESPONSE_FLAGS.deny : RESPONSE_FLAGS.connect, record);
      return;
    }
    const admission: AuthorizationRequest = {
      sourceAddress: clientIP,
      ...(sourceWorkload ? { sourceWorkload } : {}),
      destination: plan.destination,
      destinationAddress: plan.address,
      destinationPort: plan.port,
    };
    const decision = admitConnection(ctx, conn, admission, [record]);
    if (!decision.allow) {
      refuse(hooks, 'denied', `denied by authorization policy: ${decision.reason}`, RESPONSE_FLAGS.deny, record);
      return;
    }
    let upstream: Socket;
    try {
      upstream = await connectTarget(ctx, { address: plan.address, port: plan.port }, clientIP, conn.signal);
    } catch (err) {
      const why = abortReason(conn.signal, `cannot connect to ${addressText(plan.address, plan.port)}: ${describeError(err)}`);
      refuse(hooks, 'unreachable', why, RESPONSE_FLAGS.connect, record);
      return;
    }
    await spliceAndRecord(socket, upstream, conn, hooks, record);
  } catch (err) {
    handlerCrashed(ctx, 'inbound plaintext', socket, err);
  } finally {
    socket.off('close', onClientGone);
    conn.done();
  }
}
