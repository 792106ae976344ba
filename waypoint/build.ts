// Wires the waypoint from its settings: token source → CA client (its own identity, no
// impersonation) + certificate manager → state store → delta xDS client (Address, its own
// WaypointConfig, Authorization) → HBONE pool and tunnel dialer → L7 proxy → HBONE listener →
// admin, stats and readiness servers. Returns DESIGN §8's `{ addresses, ready, shutdown() }` so
// tests run it in-process on port 0. Shutdown: readiness 503, stop accepting (GOAWAY) while the
// proxy drains until DRAIN_TIMEOUT, then the pool, xDS, certificates and finally the admin ports.

import { readFile } from 'node:fs/promises';
import { CaClient, caFetcher } from '../pkg/certs/ca-client';
import { CertificateManager, type CertificateFetcher } from '../pkg/certs/cert-manager';
import { FileTokenSource, type TokenSource } from '../pkg/certs/token-source';
import { ErrorCode, MeshError, describeError } from '../pkg/errors/mesh-error';
import { HbonePool } from '../pkg/hbone/pool';
import { parseSpiffeId } from '../pkg/identity/spiffe';
import { consoleLogger, type Logger } from '../pkg/log/logger';
import { Registry } from '../pkg/telemetry/metrics';
import { splitPemCertificates } from '../pkg/tls/pem';
import { DeltaXdsClient } from '../pkg/xds/client';
import type { XdsNode } from '../pkg/xds/types';
import type { RunningHttpServer } from './admin/http';
import { ReadinessGate } from './admin/readiness';
import { startAdminServer, startReadinessServer, startStatsServer } from './admin/servers';
import { XdsMetrics } from './admin/xds-metrics';
import type { HostPort, WaypointSettings } from './config';
import { createStreamProxy, type ProxyDeps, type StreamProxy } from './http/stream-proxy';
import { startHboneListener } from './listener/hbone-listener';
import { createTunnelDialer } from './listener/tunnel-dialer';
import { createJwksFetcher } from './security/jwks-fetch';
import { JwtAuthenticator } from './security/jwt-authn';
import { AuthorizationStore } from './state/authorization-store';
import { WaypointStore } from './state/store';

export interface BuildOptions {
  readonly logger?: Logger;
  /** Bearer token for istiod (xDS and CA); default the token file at TOKEN_PATH. */
  readonly tokenSource?: TokenSource;
  /** Certificate source (tests); default a CaClient to CA_ADDRESS asking for the waypoint's own identity. */
  readonly fetcher?: CertificateFetcher;
  /** Called when a shutdown starts, however it was asked for (main arms its exit deadline). */
  readonly onShutdown?: () => void;
  /** The L7 proxy (tests may substitute it); default createStreamProxy. */
  readonly createProxy?: (deps: ProxyDeps) => StreamProxy;
}

export interface Waypoint {
  readonly addresses: { readonly hbone: HostPort; readonly admin: HostPort; readonly stats: HostPort; readonly readiness: HostPort };
  /** Resolves once all three xDS types have synced and the waypoint's certificate is loaded. */
  readonly ready: Promise<void>;
  readonly state: WaypointStore;
  readonly metrics: Registry;
  readonly certificates: CertificateManager;
  /** Resolves when a shutdown (shutdown() or POST /quitquitquit) has finished. */
  readonly closed: Promise<void>;
  shutdown(): Promise<void>;
}

/** The xDS node the waypoint presents (Istio's id format for proxy type `waypoint`). */
export function xdsNode(s: WaypointSettings): XdsNode {
  return Object.freeze({
    id: `waypoint~${s.instanceIP}~${s.podName}.${s.podNamespace}~${s.podNamespace}.svc.cluster.local`,
    cluster: s.clusterId,
    metadata: Object.freeze({
      NAME: s.podName,
      NAMESPACE: s.podNamespace,
      INSTANCE_IPS: s.instanceIP,
      SERVICE_ACCOUNT: s.serviceAccount,
      CLUSTER_ID: s.clusterId,
      WORKLOAD_NAME: s.gatewayName,
    }),
  });
}

async function readRoots(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MeshError(ErrorCode.Unavailable, `cannot read istiod's root certificate ROOT_CERT_PATH=${path}`, { cause: err });
  }
  if (splitPemCertificates(text).length === 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `ROOT_CERT_PATH=${path} holds no PEM certificate (expected istiod's root, root-cert.pem of ConfigMap istio-ca-root-cert)`);
  }
  return text;
}

export async function build(settings: WaypointSettings, opts: BuildOptions = {}): Promise<Waypoint> {
  const logger = opts.logger ?? consoleLogger;
  const registry = new Registry();
  const xdsMetrics = new XdsMetrics(registry);
  const self = { namespace: settings.podNamespace, name: settings.gatewayName, identity: settings.identity };
  const identity = parseSpiffeId(settings.identity);
  // Everything started so far, stopped in reverse on shutdown (or when start-up fails half-way).
  const stops: { readonly what: string; readonly stop: () => unknown }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { what, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error(`shutdown: stopping ${what} failed: ${describeError(err)}`);
      }
    }
  };

  try {
    const rootsPem = await readRoots(settings.rootCertPath);
    const tokenSource = opts.tokenSource ?? new FileTokenSource(settings.tokenPath);
    let fetcher = opts.fetcher;
    if (!fetcher) {
      const ca = new CaClient({
        address: settings.caAddress, rootCertPem: rootsPem, tokenSource, clusterId: settings.clusterId, serverName: settings.xdsServerName, impersonate: false,
      });
      stops.push({ what: 'the CA client', stop: () => ca.close() });
      fetcher = caFetcher(ca);
    }
    const certificates = new CertificateManager({ fetcher, ttlSeconds: settings.secretTtlSeconds });
    stops.push({ what: 'the certificate manager', stop: () => certificates.close() });

    const state = new WaypointStore({ configName: settings.configName, logger });
    const policies = new AuthorizationStore();
    let xdsSynced = false;
    const gate = new ReadinessGate(() => {
      const snap = certificates.snapshot().find((s) => s.identity === settings.identity);
      return {
        xdsSynced,
        certificateLoaded: certificates.peek(identity) !== undefined,
        identity: settings.identity,
        ...(snap?.lastError ? { certificateError: snap.lastError } : {}),
      };
    });
    certificates.on('rotated', () => gate.check());
    certificates.get(identity).then(
      () => logger.info(`certificate for ${settings.identity} loaded`),
      (err: unknown) => logger.warn(`certificate for ${settings.identity}: ${describeError(err)} (retrying)`),
    );

    const xds = new DeltaXdsClient({
      address: settings.xdsAddress,
      rootsPem,
      serverName: settings.xdsServerName,
      token: () => tokenSource.token(),
      clusterId: settings.clusterId,
      node: xdsNode(settings),
      handlers: [xdsMetrics.wrap(state.addressHandler), xdsMetrics.wrap(state.configHandler), xdsMetrics.wrap(policies)],
      logger,
    });
    xds.on('disconnected', (reason) => xdsMetrics.terminated(reason));
    stops.push({ what: 'the xDS client', stop: () => xds.close() });
    xds.start();
    void xds.synced.then(() => {
      xdsSynced = true;
      const config = state.config();
      logger.info(`xds: synced (${config ? `config ${settings.configName}: ${config.services.length} services, ${config.backends.length} backends` : `no config ${settings.configName} yet: every CONNECT is refused`})`);
      gate.check();
    });

    const pool = new HbonePool({ connectTimeoutMs: settings.connectTimeoutMs });
    stops.push({ what: 'the HBONE pool', stop: () => pool.close() });
    const dial = createTunnelDialer({
      pool,
      certificate: () => certificates.get(identity),
      hbonePort: settings.upstreamHbonePort,
      connectTimeoutMs: settings.connectTimeoutMs,
    });
    // JWKS for RequestAuthentication: a mesh Service host is fetched through HBONE with the
    // waypoint's identity (the destination's L4 policy applies), anything else directly.
    const fetchJwks = createJwksFetcher({
      dialMesh: (host, port, signal) => {
        const endpoints = state.meshEndpoints(host, port)?.filter((e) => e.healthy);
        if (!endpoints) return undefined;
        const endpoint = endpoints[Math.floor(Math.random() * endpoints.length)];
        if (!endpoint) return Promise.reject(new MeshError(ErrorCode.Unavailable, `no healthy endpoint for ${host}:${port}`));
        return dial(endpoint, signal);
      },
    });
    const authn = new JwtAuthenticator({ fetchJwks, logger });
    stops.push({ what: 'the JWT authenticator', stop: () => authn.close() });
    const proxy = (opts.createProxy ?? createStreamProxy)({ view: state, dial, registry, logger, self, authn });
    const listener = startHboneListener({
      view: state,
      proxy,
      certificate: () => certificates.get(identity),
      self,
      logger,
      addressIdentity: (ip) => state.identityAt(ip),
      drainTimeoutMs: settings.drainTimeoutMs,
    });
    // Stop accepting (GOAWAY) while the proxy drains what is in flight, both bounded by DRAIN_TIMEOUT.
    stops.push({ what: 'the HBONE listener and the proxy', stop: () => Promise.all([listener.close(), proxy.drain(settings.drainTimeoutMs)]) });
    const hbone = await listener.listen(settings.hbonePort, settings.listenHost);

    let shuttingDown: Promise<void> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve;
    });
    const shutdown = (): Promise<void> => {
      shuttingDown ??= (async () => {
        logger.info('waypoint: shutting down (readiness off, draining requests)');
        opts.onShutdown?.();
        gate.shutdown();
        await stopAll();
        logger.info('waypoint stopped');
        resolveClosed();
      })();
      return shuttingDown;
    };

    const servers: RunningHttpServer[] = [];
    // Readiness and admin go last so the probe sees 503 while the rest drains.
    stops.unshift({ what: 'the admin servers', stop: () => Promise.all(servers.map((s) => s.close())) });
    servers.push(await startReadinessServer({ listen: settings.readinessAddress, problem: () => gate.problem(), logger }));
    servers.push(await startStatsServer({ listen: settings.statsAddress, registry, logger }));
    servers.push(await startAdminServer({
      listen: settings.adminAddress,
      logger,
      onQuit: () => void shutdown(),
      sources: {
        self,
        state,
        certificates,
        settings,
        policies: () => policies.policies(),
        jwks: () => authn.status(),
        xds: () => ({ address: settings.xdsAddress, connected: xds.connected(), synced: xdsSynced, ...xds.stats() }),
        proxy: () => ({ activeRequests: proxy.activeRequests, activeStreams: proxy.activeStreams }),
        hbone: () => ({ listener: listener.stats(), pool: pool.stats() }),
      },
    }));
    const [readiness, stats, admin] = servers as [RunningHttpServer, RunningHttpServer, RunningHttpServer];
    gate.check();
    logger.info(`waypoint ${settings.configName} (${settings.identity}): HBONE ${settings.listenHost}:${hbone.port}, `
      + `admin ${admin.address.host}:${admin.address.port}, stats :${stats.address.port}, readiness :${readiness.address.port}, xDS ${settings.xdsAddress}`);
    return {
      addresses: { hbone: { host: settings.listenHost, port: hbone.port }, admin: admin.address, stats: stats.address, readiness: readiness.address },
      ready: gate.ready,
      state,
      metrics: registry,
      certificates,
      closed,
      shutdown,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
