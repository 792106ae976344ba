// Wires ztunnel from its configuration: token source → CA client + certificate manager → state store
// → delta xDS client (Address + Authorization) → capture (CAPTURE=tproxy) → proxies → admin, stats
// and readiness servers. Returns DESIGN §8's `{ addresses, ready, shutdown() }` so tests run it
// in-process on port 0; shutdown drains in the reverse order and is idempotent.

import { readFile } from 'node:fs/promises';
import { ErrorCode, MeshError, describeError } from '../pkg/errors/mesh-error';
import { formatSpiffeId } from '../pkg/identity/spiffe';
import { consoleLogger, type Logger } from '../pkg/log/logger';
import { Registry } from '../pkg/telemetry/metrics';
import { splitPemCertificates } from '../pkg/tls/pem';
import { DeltaXdsClient } from '../pkg/xds/client';
import type { XdsNode } from '../pkg/xds/types';
import type { RunningHttpServer } from './admin/http';
import { ReadinessGate } from './admin/readiness';
import { startAdminServer, startReadinessServer, startStatsServer } from './admin/servers';
import { XdsMetrics } from './admin/xds-metrics';
import { startCapture } from './capture/index';
import type { RunningCapture } from './capture/types';
import type { ZtunnelConfig } from './config';
import { CaClient, caFetcher } from '../pkg/certs/ca-client';
import { CertificateManager, type CertificateFetcher } from '../pkg/certs/cert-manager';
import { FileTokenSource, type TokenSource } from '../pkg/certs/token-source';
import { plainSocketFactory } from './net/plain';
import { transparentSocketFactory } from './net/transparent';
import type { SocketFactory } from './net/types';
import { policyAuthorizer, startProxies, type ZtunnelProxies } from './proxy/index';
import type { ProxyPorts } from './proxy/types';
import { localIdentities } from './state/local-identities';
import { PolicyHandler } from './state/policy-handler';
import { StateStore } from './state/store';

export interface BuildOptions {
  readonly logger?: Logger;
  /** Socket factory for the proxies; default transparent with CAPTURE=tproxy, plain otherwise. */
  readonly sockets?: SocketFactory;
  /** Bearer token for istiod (xDS and CA); default the token file at TOKEN_PATH. */
  readonly tokenSource?: TokenSource;
  /** Certificate source (tests); default a CaClient to CA_ADDRESS. */
  readonly fetcher?: CertificateFetcher;
  /** Called when a shutdown starts, however it was asked for (main arms its exit deadline). */
  readonly onShutdown?: () => void;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Ztunnel {
  readonly addresses: { readonly admin: HostPort; readonly stats: HostPort; readonly readiness: HostPort; readonly proxies: ProxyPorts };
  /** Resolves once xDS has synced, capture is in place and local workloads have certificates. */
  readonly ready: Promise<void>;
  readonly state: StateStore;
  readonly metrics: Registry;
  readonly certificates: CertificateManager;
  /** Resolves when a shutdown (shutdown() or POST /quitquitquit) has finished. */
  readonly closed: Promise<void>;
  shutdown(): Promise<void>;
}

/** The xDS node ztunnel presents (Istio's id format and metadata keys). */
export function xdsNode(config: ZtunnelConfig): XdsNode {
  return Object.freeze({
    id: `ztunnel~${config.nodeIP}~${config.podName}.${config.podNamespace}~${config.podNamespace}.svc.cluster.local`,
    cluster: config.clusterId,
    metadata: Object.freeze({
      NAME: config.podName,
      NAMESPACE: config.podNamespace,
      INSTANCE_IPS: config.nodeIP,
      NODE_NAME: config.nodeName,
      CLUSTER_ID: config.clusterId,
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

export async function build(config: ZtunnelConfig, opts: BuildOptions = {}): Promise<Ztunnel> {
  const logger = opts.logger ?? consoleLogger;
  const registry = new Registry();
  const xdsMetrics = new XdsMetrics(registry);
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
    const rootsPem = await readRoots(config.rootCertPath);
    const tokenSource = opts.tokenSource ?? new FileTokenSource(config.tokenPath);
    let fetcher = opts.fetcher;
    if (!fetcher) {
      const ca = new CaClient({ address: config.caAddress, rootCertPem: rootsPem, tokenSource, clusterId: config.clusterId, serverName: config.xdsServerName });
      stops.push({ what: 'the CA client', stop: () => ca.close() });
      fetcher = caFetcher(ca);
    }
    const certificates = new CertificateManager({ fetcher, ttlSeconds: config.secretTtlSeconds });
    stops.push({ what: 'the certificate manager', stop: () => certificates.close() });

    const state = new StateStore({ logger });
    const policies = new PolicyHandler();
    let xdsSynced = false;
    let capture: RunningCapture | undefined;
    let captureReady = false;
    const gate = new ReadinessGate(() => {
      const { identities } = localIdentities(state, config.nodeName);
      return {
        xdsSynced,
        capture: !capture ? 'off' : captureReady ? 'ready' : 'pending',
        ...(capture?.status().lastError ? { captureError: capture.status().lastError } : {}),
        missingCertificates: identities.filter((id) => !certificates.peek(id)).map(formatSpiffeId),
      };
    });

    // Certificates follow the local ambient workloads: fetched ahead of need, forgotten when gone.
    const reportedInvalid = new Set<string>();
    const syncIdentities = (): void => {
      const { identities, invalid } = localIdentities(state, config.nodeName);
      certificates.retain(identities);
      for (const id of identities) certificates.prefetch(id);
      for (const uid of invalid) {
        if (!reportedInvalid.has(uid)) logger.warn(`workload ${uid}: its namespace and service account do not form a valid SPIFFE identity; no certificate`);
        reportedInvalid.add(uid);
      }
      gate.check();
    };
    const unsubscribe = state.onChange(syncIdentities);
    stops.push({ what: 'the identity sync', stop: unsubscribe });
    certificates.on('rotated', () => gate.check());

    const xds = new DeltaXdsClient({
      address: config.xdsAddress,
      rootsPem,
      serverName: config.xdsServerName,
      token: () => tokenSource.token(),
      clusterId: config.clusterId,
      node: xdsNode(config),
      handlers: [xdsMetrics.wrap(state.addressHandler), xdsMetrics.wrap(policies)],
      logger,
    });
    xds.on('disconnected', (reason) => xdsMetrics.terminated(reason));
    stops.push({ what: 'the xDS client', stop: () => xds.close() });
    xds.start();
    void xds.synced.then(() => {
      xdsSynced = true;
      logger.info(`xds: synced (${state.allWorkloads().length} workloads, ${state.allServices().length} services)`);
      gate.check();
    });

    if (config.capture === 'tproxy') {
      const running = await startCapture({
        settings: {
          nodeName: config.nodeName,
          ports: { outbound: config.ports.outbound, inboundPlaintext: config.ports.inboundPlaintext, inbound: config.ports.inbound },
          hostSources: config.hostProbeSources,
        },
        state,
        logger,
      });
      capture = running;
      stops.push({ what: 'the capture rules', stop: () => running.shutdown() });
      running.ready.then(() => {
        captureReady = true;
        gate.check();
      }, (err: unknown) => logger.error(`capture: ${describeError(err)}`));
    }

    const sockets = opts.sockets ?? (config.capture === 'tproxy' ? transparentSocketFactory() : plainSocketFactory());
    const proxies: ZtunnelProxies = await startProxies({
      settings: {
        nodeName: config.nodeName,
        nodeIP: config.nodeIP,
        trustDomain: config.trustDomain,
        listenHost: config.listenHost,
        ports: config.ports,
        hbonePort: config.hbonePort,
        connectTimeoutMs: config.connectTimeoutMs,
        drainTimeoutMs: config.drainTimeoutMs,
      },
      state,
      certificateFor: (identity) => certificates.get(identity),
      sockets,
      metrics: registry,
      logger,
    }, {
      authorize: policyAuthorizer(() => policies.index(), (request, policy, reason) => {
        logger.info(`dry-run: connection from ${request.sourceAddress} to ${request.destinationAddress}:${request.destinationPort} would be denied: ${reason}${policy ? ` (policy ${policy})` : ''}`);
      }),
    });
    stops.push({ what: 'the proxies', stop: () => proxies.shutdown() });
    // A policy push re-checks every open inbound connection; a workload push only those whose
    // destination workload changed (its attached policies may have). Coalesced per burst of pushes.
    let recheck: NodeJS.Immediate | undefined;
    let policiesChanged = false;
    const scheduleRecheck = (): void => {
      recheck ??= setImmediate(() => {
        recheck = undefined;
        const { closed } = proxies.reauthorize(policiesChanged ? 'all' : 'changed-workloads');
        policiesChanged = false;
        if (closed > 0) logger.info(`policy change: closed ${closed} connection(s) no longer allowed`);
      });
    };
    const unwatchPolicies = policies.onChange(() => {
      policiesChanged = true;
      scheduleRecheck();
    });
    const unwatchState = state.onChange(scheduleRecheck);
    stops.push({ what: 'the policy re-check', stop: () => { unwatchPolicies(); unwatchState(); if (recheck) clearImmediate(recheck); } });

    let shuttingDown: Promise<void> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve;
    });
    const shutdown = (): Promise<void> => {
      shuttingDown ??= (async () => {
        logger.info('ztunnel: shutting down (readiness off, draining connections)');
        opts.onShutdown?.();
        gate.shutdown();
        // Readiness and admin go last so the probe sees 503 while the rest drains.
        await stopAll();
        logger.info('ztunnel stopped');
        resolveClosed();
      })();
      return shuttingDown;
    };

    const servers: RunningHttpServer[] = [];
    stops.unshift({ what: 'the admin servers', stop: () => Promise.all(servers.map((s) => s.close())) });
    servers.push(await startReadinessServer({ listen: config.readinessAddress, problem: () => gate.problem(), logger }));
    servers.push(await startStatsServer({ listen: config.statsAddress, registry, logger }));
    servers.push(await startAdminServer({
      listen: config.adminAddress,
      logger,
      onQuit: () => void shutdown(),
      sources: {
        state,
        certificates,
        config,
        capture: () => (capture ? { mode: 'tproxy', ready: captureReady, ...capture.status() } : { mode: 'none' }),
        xds: () => ({ address: config.xdsAddress, connected: xds.connected(), synced: xdsSynced, ...xds.stats() }),
        policies: () => policies.policies(),
      },
    }));
    const [readiness, stats, admin] = servers as [RunningHttpServer, RunningHttpServer, RunningHttpServer];

    syncIdentities();
    logger.info(`ztunnel on node ${config.nodeName} (${config.nodeIP}): capture ${config.capture}, proxies ${JSON.stringify(proxies.ports)}, `
      + `admin ${admin.address.host}:${admin.address.port}, stats :${stats.address.port}, readiness :${readiness.address.port}, xDS ${config.xdsAddress}`);
    return {
      addresses: { admin: admin.address, stats: stats.address, readiness: readiness.address, proxies: proxies.ports },
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
