// The outbound proxy (15001, and SOCKS5 after its handshake): a captured app connection plus its
// original destination → planOutbound → an HBONE tunnel from the shared pool, in-process delivery
// to a pod on this node, plain TCP passthrough, or a reset. Then bytes are spliced until both
// directions finish, and the connection is recorded (metrics + access log) as reporter=source.
// A tunnel stream the destination resets (RST_STREAM, e.g. a policy re-check closed it) ends the
// splice as a reset, so the client gets a TCP RST too, never a clean end. A destination bound to a
// waypoint is tunnelled to the waypoint (access log `dst.waypoint=`); one whose waypoint cannot be
// resolved is reset (fail closed), counted with response_flags="UH" and logged once per binding
// and problem every 30 s.

import type { Socket } from 'node:net';
import { describeError } from '../../pkg/errors/mesh-error';
import { unmapIpv4 } from '../../pkg/hbone/authority';
import { isHboneConnectError } from '../../pkg/hbone/errors';
import { buildForwarded, newTraceparent } from '../../pkg/hbone/headers';
import type { HboneStream } from '../../pkg/hbone/types';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { RESPONSE_FLAGS, tcpLabels, workloadMeta } from '../telemetry/labels';
import { LogLimiter } from '../telemetry/log-limiter';
import type { TrackedConnection } from './connection-tracker';
import { addressText, connectTarget, handlerCrashed, noop, type Destination, type ProxyContext } from './context';
import { deliverLocal, type Client } from './local-delivery';
import { planOutbound, type OutboundPlan } from './outbound-plan';
import { refuse, resetHooks, spliceAndRecord, type ClientHooks } from './relay';
import { workloadBaggage } from './workload-info';

/** Handles one captured outbound connection to `dest`; never rejects. */
export async function handleOutbound(ctx: ProxyContext, socket: Socket, dest: Destination, hooks: ClientHooks = resetHooks(socket)): Promise<void> {
  socket.on('error', noop);
  if (ctx.tracker.closing) {
    hooks.refused('failed', 'the proxy is shutting down');
    return;
  }
  const conn = ctx.tracker.track('outbound');
  conn.add(socket);
  const onClientGone = (): void => conn.clientGone('the client closed the connection');
  socket.once('close', onClientGone);
  try {
    const client: Client = { socket, ip: unmapIpv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const plan = planOutbound(ctx.deps.state, ctx.plan, { sourceIP: client.ip, destIP: dest.address, destPort: dest.port }, ctx.random);
    switch (plan.kind) {
      case 'deny':
        deny(ctx, plan, client, dest, hooks);
        return;
      case 'passthrough':
        await passthrough(ctx, plan, client, conn, hooks);
        return;
      case 'hbone':
        await tunnel(ctx, plan, client, conn, hooks);
        return;
      case 'local':
        await deliverLocal(ctx, plan, client, conn, hooks);
        return;
    }
  } catch (err) {
    handlerCrashed(ctx, 'outbound', socket, err);
  } finally {
    socket.off('close', onClientGone);
    conn.done();
  }
}

/** Per proxy process: how often a fail-closed waypoint refusal is logged. */
const waypointLogLimits = new WeakMap<ProxyContext, LogLimiter>();

function logWaypointRefusal(ctx: ProxyContext, plan: Extract<OutboundPlan, { kind: 'deny' }>): void {
  const failure = plan.waypoint;
  if (!failure) return;
  let limiter = waypointLogLimits.get(ctx);
  if (!limiter) waypointLogLimits.set(ctx, (limiter = new LogLimiter()));
  if (limiter.allow(`${failure.bound}|${failure.waypoint}|${failure.problem}`)) ctx.deps.logger.warn(`outbound: ${plan.reason}`);
}

function deny(ctx: ProxyContext, plan: Extract<OutboundPlan, { kind: 'deny' }>, client: Client, dest: Destination, hooks: ClientHooks): void {
  logWaypointRefusal(ctx, plan);
  const labels = tcpLabels({
    reporter: 'source',
    source: workloadMeta(plan.source),
    destination: workloadMeta(plan.destination),
    ...(plan.service ? { service: plan.service } : {}),
    mtls: false,
  });
  const record = ctx.telemetry.open(labels, {
    srcAddr: addressText(client.ip, client.port),
    ...(plan.source ? { srcWorkload: plan.source.name, srcNamespace: plan.source.namespace } : {}),
    dstAddr: addressText(unmapIpv4(dest.address), dest.port),
    ...(plan.service ? { dstService: plan.service.hostname } : {}),
    ...(plan.destination ? { dstWorkload: plan.destination.name, dstNamespace: plan.destination.namespace } : {}),
    ...(plan.waypoint ? { dstWaypoint: plan.waypoint.waypoint } : {}),
    direction: 'outbound',
  });
  refuse(hooks, 'denied', plan.reason, plan.waypoint ? RESPONSE_FLAGS.noHealthyUpstream : RESPONSE_FLAGS.deny, record);
}

async function passthrough(
  ctx: ProxyContext,
  plan: Extract<OutboundPlan, { kind: 'passthrough' }>,
  client: Client,
  conn: TrackedConnection,
  hooks: ClientHooks,
): Promise<void> {
  const labels = tcpLabels({
    reporter: 'source',
    source: workloadMeta(plan.source),
    destination: workloadMeta(plan.destination),
    ...(plan.service ? { service: plan.service } : {}),
    mtls: false,
  });
  const record = ctx.telemetry.open(labels, {
    srcAddr: addressText(client.ip, client.port),
    srcWorkload: plan.source.name,
    srcNamespace: plan.source.namespace,
    dstAddr: addressText(plan.address, plan.port),
    ...(plan.service ? { dstService: plan.service.hostname } : {}),
    ...(plan.destination ? { dstWorkload: plan.destination.name, dstNamespace: plan.destination.namespace } : {}),
    direction: 'outbound',
  });
  let upstream: Socket;
  try {
    upstream = await connectTarget(ctx, { address: plan.address, port: plan.port }, client.ip, conn.signal);
  } catch (err) {
    refuse(hooks, 'unreachable', `cannot connect to ${addressText(plan.address, plan.port)}: ${describeError(err)}`, RESPONSE_FLAGS.connect, record);
    return;
  }
  await spliceAndRecord(client.socket, upstream, conn, hooks, record);
}

async function tunnel(ctx: ProxyContext, plan: Extract<OutboundPlan, { kind: 'hbone' }>, client: Client, conn: TrackedConnection, hooks: ClientHooks): Promise<void> {
  const labels = tcpLabels({
    reporter: 'source',
    source: workloadMeta(plan.source),
    sourcePrincipal: plan.sourceIdentity,
    destination: workloadMeta(plan.destination),
    destinationPrincipal: plan.expectedIdentity,
    ...(plan.service ? { service: plan.service } : {}),
    mtls: true,
  });
  const record = ctx.telemetry.open(labels, {
    srcAddr: addressText(client.ip, client.port),
    srcWorkload: plan.source.name,
    srcNamespace: plan.source.namespace,
    srcIdentity: formatSpiffeId(plan.sourceIdentity),
    dstAddr: addressText(plan.hboneAddress.address, plan.hboneAddress.port),
    dstHboneAddr: plan.authority,
    ...(plan.service ? { dstService: plan.service.hostname } : {}),
    dstWorkload: plan.destination.name,
    dstNamespace: plan.destination.namespace,
    dstIdentity: formatSpiffeId(plan.expectedIdentity),
    ...(plan.waypoint ? { dstWaypoint: plan.waypoint.name } : {}),
    direction: 'outbound',
  });
  let cert: WorkloadCertificate;
  try {
    cert = await ctx.deps.certificateFor(plan.sourceIdentity);
  } catch (err) {
    refuse(hooks, 'failed', `no certificate for ${formatSpiffeId(plan.sourceIdentity)}: ${describeError(err)}`, RESPONSE_FLAGS.identity, record);
    return;
  }
  let stream: HboneStream;
  try {
    stream = await ctx.pool.connect({
      source: cert,
      sourceAddress: ctx.plan.nodeIP,
      destination: plan.hboneAddress,
      expectedIdentities: plan.expectedIdentities,
      authority: plan.authority,
      headers: {
        forwarded: buildForwarded(client.ip, client.port, plan.service?.hostname),
        baggage: workloadBaggage(plan.source),
        traceparent: newTraceparent(),
      },
      signal: conn.signal,
    });
  } catch (err) {
    const denied = isHboneConnectError(err) && (err.status === 401 || err.status === 400);
    refuse(hooks, denied ? 'denied' : 'unreachable', describeError(err), denied ? RESPONSE_FLAGS.deny : RESPONSE_FLAGS.connect, record);
    return;
  }
  await spliceAndRecord(client.socket, stream.stream, conn, hooks, record);
}
