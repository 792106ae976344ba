// Same-node delivery (DESIGN §5 pitfall 1): a tunnel from ztunnel to a pod on its own node would
// not be captured, so an outbound connection whose destination is a local HBONE workload is
// delivered in-process — the same authorization call the inbound side makes (with the source
// workload's identity), a connect to the app with the client's address as source, and telemetry
// recorded twice, as reporter=source and reporter=destination.

import type { Socket } from 'node:net';
import { describeError } from '../../pkg/errors/mesh-error';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { RESPONSE_FLAGS, tcpLabels, workloadMeta } from '../telemetry/labels';
import type { AccessLogFields } from '../telemetry/access-log';
import type { TrackedConnection } from './connection-tracker';
import { admitConnection } from './admission';
import { abortReason, addressText, connectTarget, type ProxyContext } from './context';
import type { AuthorizationRequest } from './authorize';
import type { OutboundPlan } from './outbound-plan';
import { refuse, spliceAndRecord, type ClientHooks } from './relay';

export interface Client {
  readonly socket: Socket;
  readonly ip: string;
  readonly port: number;
}

export async function deliverLocal(
  ctx: ProxyContext,
  plan: Extract<OutboundPlan, { kind: 'local' }>,
  client: Client,
  conn: TrackedConnection,
  hooks: ClientHooks,
): Promise<void> {
  const target = { address: plan.targetAddress, port: plan.targetPort };
  const labelInput = {
    source: workloadMeta(plan.source),
    sourcePrincipal: plan.sourceIdentity,
    destination: workloadMeta(plan.destination),
    destinationPrincipal: plan.expectedIdentity,
    ...(plan.service ? { service: plan.service } : {}),
    mtls: true,
  };
  const log: Omit<AccessLogFields, 'direction'> = {
    srcAddr: addressText(client.ip, client.port),
    srcWorkload: plan.source.name,
    srcNamespace: plan.source.namespace,
    srcIdentity: formatSpiffeId(plan.sourceIdentity),
    dstAddr: addressText(target.address, target.port),
    ...(plan.service ? { dstService: plan.service.hostname } : {}),
    dstWorkload: plan.destination.name,
    dstNamespace: plan.destination.namespace,
    dstIdentity: formatSpiffeId(plan.expectedIdentity),
  };
  const outbound = ctx.telemetry.open(tcpLabels({ reporter: 'source', ...labelInput }), { ...log, direction: 'outbound' });
  const inbound = ctx.telemetry.open(tcpLabels({ reporter: 'destination', ...labelInput }), { ...log, direction: 'inbound' });

  const admission: AuthorizationRequest = {
    sourceIdentity: plan.sourceIdentity,
    sourceAddress: client.ip,
    sourceWorkload: plan.source,
    destination: plan.destination,
    destinationAddress: target.address,
    destinationPort: target.port,
  };
  // One decision, on both records (the same-node client's line and the destination's line).
  const decision = admitConnection(ctx, conn, admission, [outbound, inbound]);
  if (!decision.allow) {
    refuse(hooks, 'denied', `denied by authorization policy: ${decision.reason}`, RESPONSE_FLAGS.deny, outbound, inbound);
    return;
  }
  let upstream: Socket;
  try {
    upstream = await connectTarget(ctx, target, client.ip, conn.signal);
  } catch (err) {
    const why = abortReason(conn.signal, `cannot connect to ${addressText(target.address, target.port)}: ${describeError(err)}`);
    refuse(hooks, 'unreachable', why, RESPONSE_FLAGS.connect, outbound, inbound);
    return;
  }
  await spliceAndRecord(client.socket, upstream, conn, hooks, outbound, inbound);
}
