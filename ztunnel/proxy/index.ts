// ztunnel's traffic proxies, wired: one HBONE client pool, one HBONE server (certificate chosen by
// the pod address a connection arrived on), the outbound/inbound/plaintext/SOCKS5 handlers, TCP
// telemetry, and the listeners on the SocketFactory. `createProxies` builds everything without
// listening (tests hand sockets to the handlers); `startProxies` also listens and is what the
// node agent's build calls.

import type { Server, Socket } from 'node:net';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { HbonePool } from '../../pkg/hbone/pool';
import { createHboneServer } from '../../pkg/hbone/server';
import type { HboneServer } from '../../pkg/hbone/types';
import { AuthorizationMetrics } from '../telemetry/authz-metrics';
import { TcpTelemetry } from '../telemetry/tcp-metrics';
import { reauthorize, type ReauthorizeScope } from './admission';
import { allowAll } from './authorize';
import { ConnectionTracker } from './connection-tracker';
import type { Destination, ProxyContext, ProxyOptions } from './context';
import { inboundCertificate, inboundConnectHandler } from './inbound';
import { handleInboundPlaintext } from './inbound-plaintext';
import { handleOutbound } from './outbound';
import { planSettingsFrom } from './outbound-plan';
import { handleSocks5 } from './socks5';
import type { ProxyDeps, ProxyPorts, ProxyStats, RunningProxies } from './types';

export type { ProxyOptions, Destination } from './context';
export type { Authorizer, AuthorizationDecision, AuthorizationRequest, DryRunDenial } from './authorize';
export type { ReauthorizeScope } from './admission';
export { allowAll, policyAuthorizer } from './authorize';
export { planOutbound, planSettingsFrom, serviceByHostname, type OutboundPlan, type PlanSettings } from './outbound-plan';
export { planInbound, planPlaintextInbound, type InboundPlan } from './inbound-plan';

/** The proxies without listeners: handlers for sockets accepted elsewhere. */
export interface ProxyHandlers {
  /** A captured outbound connection; `dest` = its original destination (default: the socket's local address). */
  handleOutbound(socket: Socket, dest?: Destination): Promise<void>;
  /** A connection to a pod's HBONE port (its local address picks the certificate). */
  handleInbound(socket: Socket): void;
  /** A captured plaintext connection to a pod; `dest` defaults to the socket's local address. */
  handleInboundPlaintext(socket: Socket, dest?: Destination): Promise<void>;
  /** A SOCKS5 client connection. */
  handleSocks5(socket: Socket): void;
  stats(): ProxyStats;
  /**
   * Re-checks open inbound connections against the policies and workloads in force now and closes
   * the ones no longer allowed with a reset: all of them after a policy change (`all`, the
   * default), or only those whose destination workload changed after a workload push
   * (`changed-workloads`).
   */
  reauthorize(scope?: ReauthorizeScope): { readonly checked: number; readonly closed: number };
  /** The ports the listeners were bound to: connections to them count as calls to ourselves. */
  useBoundPorts(ports: ProxyPorts): void;
  /** Stop accepting, drain up to drainTimeoutMs, destroy the rest, close the HBONE server and pool. */
  shutdown(): Promise<void>;
}

export interface ZtunnelProxies extends RunningProxies, Omit<ProxyHandlers, 'shutdown' | 'stats' | 'useBoundPorts'> {}

function localDestination(socket: Socket): Destination {
  return { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
}

export function createProxies(deps: ProxyDeps, options: ProxyOptions = {}): ProxyHandlers {
  const { settings } = deps;
  const tracker = new ConnectionTracker();
  const ctx: ProxyContext = {
    deps,
    plan: planSettingsFrom(settings),
    pool: new HbonePool({ connectTimeoutMs: settings.connectTimeoutMs }),
    authorize: options.authorize ?? allowAll,
    telemetry: new TcpTelemetry(deps.metrics, deps.logger),
    authzMetrics: new AuthorizationMetrics(deps.metrics),
    tracker,
    random: options.random ?? Math.random,
  };
  const hbone: HboneServer = createHboneServer({
    certificateFor: (localAddress) => inboundCertificate(ctx, localAddress),
    onConnect: inboundConnectHandler(ctx),
    limits: { drainTimeoutMs: settings.drainTimeoutMs },
  });
  let shuttingDown: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
    const hboneClosed = hbone.close();
    await tracker.drain(settings.drainTimeoutMs);
    await hboneClosed;
    await ctx.pool.close();
  };

  return {
    handleOutbound: (socket, dest) => handleOutbound(ctx, socket, dest ?? localDestination(socket)),
    handleInbound: (socket) => {
      if (tracker.closing) socket.destroy();
      else hbone.handleSocket(socket);
    },
    handleInboundPlaintext: (socket, dest) => handleInboundPlaintext(ctx, socket, dest),
    handleSocks5: (socket) => handleSocks5(ctx, socket),
    stats: () => ({ activeOutbound: tracker.count('outbound'), activeInbound: tracker.count('inbound') }),
    reauthorize: (scope = 'all') => reauthorize(ctx, scope),
    useBoundPorts: (ports) => {
      const bound = [ports.outbound, ports.inboundPlaintext, ports.inbound, ...(ports.socks5 !== undefined ? [ports.socks5] : [])];
      ctx.plan = planSettingsFrom(settings, bound);
    },
    shutdown: () => {
      shuttingDown ??= shutdown();
      return shuttingDown;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Builds the proxies and starts the listeners; a port that cannot be bound fails the start. */
export async function startProxies(deps: ProxyDeps, options: ProxyOptions = {}): Promise<ZtunnelProxies> {
  const { settings } = deps;
  const handlers = createProxies(deps, options);
  const servers: Server[] = [];
  const accepted = new Set<Socket>();
  const listen = async (host: string, port: number, what: string, onConnection: (socket: Socket) => void): Promise<number> => {
    try {
      const server = await deps.sockets.listen(host, port, (socket) => {
        accepted.add(socket);
        socket.once('close', () => accepted.delete(socket));
        try {
          onConnection(socket);
        } catch (err) {
          deps.logger.error(`${what}: unexpected failure on accept: ${describeError(err)}`);
          socket.destroy();
        }
      });
      servers.push(server);
      return boundPort(server);
    } catch (err) {
      throw new MeshError(ErrorCode.Unavailable, `ztunnel cannot listen for ${what} on ${host}:${port}: ${describeError(err)}`, { cause: err });
    }
  };
  let ports: ProxyPorts;
  try {
    const outbound = await listen(settings.listenHost, settings.ports.outbound, 'outbound', (s) => void handlers.handleOutbound(s));
    const inbound = await listen(settings.listenHost, settings.ports.inbound, 'inbound HBONE', (s) => handlers.handleInbound(s));
    const inboundPlaintext = await listen(settings.listenHost, settings.ports.inboundPlaintext, 'inbound plaintext', (s) => void handlers.handleInboundPlaintext(s));
    const socks5 = settings.ports.socks5 === undefined ? undefined : await listen('127.0.0.1', settings.ports.socks5, 'SOCKS5', (s) => handlers.handleSocks5(s));
    ports = Object.freeze({ outbound, inbound, inboundPlaintext, ...(socks5 !== undefined ? { socks5 } : {}) });
    handlers.useBoundPorts(ports);
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    await handlers.shutdown();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    const closed = Promise.all(servers.map(closeServer)); // stop accepting now; resolves once all are gone
    await handlers.shutdown();
    for (const socket of accepted) socket.destroy(); // e.g. a SOCKS5 client still in its handshake
    await closed;
  };
  return {
    ports,
    stats: handlers.stats,
    handleOutbound: handlers.handleOutbound,
    handleInbound: handlers.handleInbound,
    handleInboundPlaintext: handlers.handleInboundPlaintext,
    handleSocks5: handlers.handleSocks5,
    reauthorize: handlers.reauthorize,
    shutdown: () => {
      stopping ??= shutdown();
      return stopping;
    },
  };
}
