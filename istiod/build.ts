// Wires istiod from its configuration: Kubernetes clients → root of trust (cacerts /
// istio-ca-secret) → root-certificate publisher → security-policy index → waypoint controller
// (Deployments and status for Gateways of class istio-waypoint) → ambient address index
// (workloads list the policies that select them, Services and workloads their waypoint) → waypoint
// config index (routes and targetRefs security policies per waypoint) → one
// gRPC server with the CA and the delta ADS server → the monitoring listener (/metrics, /ready). Returns DESIGN §8's
// `{ addresses, ready, shutdown() }` so tests run istiod in-process on port 0.

import { encodeAuthorization } from '../pkg/api/authorization-codec';
import type { Authorization } from '../pkg/api/authorization-types';
import { encodeAddress } from '../pkg/api/workload-codec';
import { describeError } from '../pkg/errors/mesh-error';
import { consoleLogger, type Logger } from '../pkg/log/logger';
import { Registry } from '../pkg/telemetry/metrics';
import { createCaService, type CaCounters } from './ca/ca-service';
import { loadRootOfTrust } from './ca/root-of-trust';
import { startRootPublisher, type RootPublisher } from './ca/root-publisher';
import type { IstiodConfig } from './config';
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, startGrpcServer, type GrpcService, type RunningGrpcServer } from './grpc-server';
import { createKubeClient, loadKubeConfig } from './kube/client';
import { createMeshKubeClient } from './kube/mesh-client';
import type { MeshKube } from './kube/mesh-types';
import type { CaKube } from './kube/types';
import { modelSettings, startAddressIndex } from './model/index';
import { startPolicyIndex, type PolicyIndex } from './model/policy-index';
import type { AddressIndex } from './model/types';
import { startWaypointController, type WaypointController } from './waypoint/controller';
import { createAuthenticator } from './xds/authenticate';
import { caMetrics } from './xds/ca-metrics';
import { xdsMetrics, type XdsMetrics } from './xds/metrics';
import { startMonitoringServer, type MonitoringServer } from './xds/monitoring';
import { createXdsServer, type XdsServer } from './xds/server';
import { addressSource, authorizationSource, waypointConfigSource, type ResourceSource } from './xds/sources';
import { encodeWaypointConfig } from '../pkg/api/waypoint-codec';
import type { WaypointConfig } from '../pkg/api/waypoint-types';
import { startWaypointConfigIndex, type WaypointConfigIndex } from './model/waypoint-config-index';

export interface BuildOptions {
  readonly logger?: Logger;
  /** A ready-made Kubernetes client for the CA (tests); otherwise one is made from `config.kube`. */
  readonly kube?: CaKube;
  /** A ready-made Kubernetes client for the address index (tests); otherwise one is made from `config.kube`. */
  readonly meshKube?: MeshKube;
}

export interface Istiod {
  readonly addresses: {
    readonly grpc: { readonly host: string; readonly port: number };
    readonly monitoring: { readonly host: string; readonly port: number };
  };
  /** Resolves when the root publisher's watches have listed and the address index has synced. */
  readonly ready: Promise<void>;
  /** The trust bundle workloads verify istiod and each other with. */
  readonly rootsPem: string;
  readonly caCounters: CaCounters;
  /** Every metric istiod exports on /metrics (xDS and CA). */
  readonly metrics: Registry;
  readonly xdsMetrics: XdsMetrics;
  /** Authenticated xDS streams open now. */
  xdsConnections(): number;
  shutdown(): Promise<void>;
}

/** The size xDS responses are split at: the send limit less a margin for the estimate's error. */
export function maxResponseBytes(maxSendMessageBytes: number): number {
  return Math.max(32 * 1024, Math.floor(maxSendMessageBytes * 0.95));
}

export async function build(config: IstiodConfig, opts: BuildOptions = {}): Promise<Istiod> {
  const logger = opts.logger ?? consoleLogger;
  const registry = new Registry();
  const metrics = xdsMetrics(registry);
  let publisher: RootPublisher | undefined;
  let grpc: RunningGrpcServer | undefined;
  let index: AddressIndex | undefined;
  let policies: PolicyIndex | undefined;
  let waypoints: WaypointController | undefined;
  let routes: WaypointConfigIndex | undefined;
  let sources: ResourceSource[] = [];
  let xds: XdsServer | undefined;
  let monitoring: MonitoringServer | undefined;
  const stopAll = async (): Promise<void> => {
    xds?.close();
    await grpc?.close();
    await monitoring?.close();
    for (const s of sources) s.stop();
    await index?.stop();
    await routes?.stop();
    await waypoints?.stop();
    await policies?.stop();
    await publisher?.stop();
  };
  try {
    let kube = opts.kube;
    let meshKube = opts.meshKube;
    if (!kube || !meshKube) {
      const { k8s, kc } = await loadKubeConfig(config.kube);
      kube ??= createKubeClient(k8s, kc, logger);
      meshKube ??= createMeshKubeClient(k8s, kc, logger);
      logger.info(`kubernetes: ${config.kube.kind === 'kubeconfig' ? `kubeconfig ${config.kube.path}` : 'in-cluster'} (${kc.getCurrentCluster()?.server ?? '?'})`);
    }

    const root = await loadRootOfTrust(kube, {
      namespace: config.namespace, trustDomain: config.trustDomain, rootTtlSeconds: config.selfSignedRootTtlSeconds, logger,
    });
    const described = { cacerts: 'the plugged-in CA from Secret cacerts', 'istio-ca-secret': 'the self-signed root from Secret istio-ca-secret',
      created: 'a new self-signed root (stored in Secret istio-ca-secret)' }[root.source];
    logger.info(`CA: signing with ${described} in ${config.namespace}; valid until ${root.ca.notAfter.toISOString()}`);

    publisher = startRootPublisher(kube, { rootsPem: root.ca.rootsPem, logger });
    logger.info('root certificate publisher: watching namespaces for ConfigMap istio-ca-root-cert');

    // Istio's root namespace is istiod's own: selector-less policies there are mesh-wide.
    policies = startPolicyIndex({ kube: meshKube, conversion: { rootNamespace: config.namespace, trustDomain: config.trustDomain }, logger });
    const settings = modelSettings({ trustDomain: config.trustDomain, clusterId: config.clusterId });
    waypoints = startWaypointController({ kube: meshKube, settings, logger, namespace: config.namespace });
    index = startAddressIndex({ kube: meshKube, settings, logger, policies, waypoints });
    // Waypoint configs: routes plus the AuthorizationPolicies / RequestAuthentications attached by targetRefs.
    routes = startWaypointConfigIndex({ kube: meshKube, directory: waypoints, logger,
      settings: {
        clusterId: config.clusterId, clusterDomain: settings.domainSuffix, pathNormalization: config.pathNormalization,
        rootNamespace: config.namespace, trustDomain: config.trustDomain,
      } });
    const encodePolicy = (p: Authorization): Buffer => { const b = encodeAuthorization(p); return Buffer.from(b.buffer, b.byteOffset, b.byteLength); };
    const encodeWaypoint = (c: WaypointConfig): Buffer => { const b = encodeWaypointConfig(c); return Buffer.from(b.buffer, b.byteOffset, b.byteLength); };
    sources = [addressSource(index, encodeAddress, logger), authorizationSource(policies, encodePolicy, logger),
      waypointConfigSource(routes, encodeWaypoint, logger)];
    xds = createXdsServer({
      sources,
      authenticator: createAuthenticator({ kube, audience: config.tokenAudience, cacheTtlMs: config.xdsTokenCacheSeconds * 1000 }),
      metrics, logger,
      debounce: { afterMs: config.debounceAfterMs, maxMs: config.debounceMaxMs },
      maxResponseBytes: maxResponseBytes(config.xdsMaxSendMessageBytes),
    });

    const ca = createCaService({ kube, ca: root.ca, settings: config, logger });
    const services: GrpcService[] = [
      {
        name: 'istio.v1.auth.IstioCertificateService', definition: ca.definition, implementation: { CreateCertificate: ca.handler },
        maxRequestBytes: DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
      },
      xds.service,
    ];
    grpc = await startGrpcServer({
      host: config.grpcHost, port: config.grpcPort, ca: root.ca, namespace: config.namespace,
      servingTtlSeconds: config.servingCertTtlSeconds, services, logger,
      maxReceiveMessageBytes: config.xdsMaxReceiveMessageBytes, maxSendMessageBytes: config.xdsMaxSendMessageBytes,
    });

    const syncCa = caMetrics(registry, ca.counters);
    let indexSynced = false;
    let publisherSynced = false;
    const xdsServer = xds;
    monitoring = await startMonitoringServer({
      host: config.monitoringHost, port: config.monitoringPort, registry, logger, beforeScrape: syncCa,
      notReady: () => (!indexSynced ? 'the address index has not synced with the Kubernetes API yet'
        : !publisherSynced ? 'the root certificate publisher has not listed namespaces yet' : undefined),
    });
    const indexReady = xdsServer.synced.then(() => {
      indexSynced = true;
      logger.info(`xDS: address index synced (${index?.addresses().size ?? 0} addresses)`);
    });
    const publisherReady = publisher.synced.then(() => { publisherSynced = true; });

    const running = { grpc, publisher, index, policies, waypoints, routes, monitoring, xds: xdsServer, sources };
    let shuttingDown: Promise<void> | undefined;
    return {
      addresses: {
        grpc: { host: config.grpcHost, port: grpc.port },
        monitoring: { host: config.monitoringHost, port: monitoring.port },
      },
      ready: Promise.all([publisherReady, indexReady]).then(() => undefined),
      rootsPem: root.ca.rootsPem,
      caCounters: ca.counters,
      metrics: registry,
      xdsMetrics: metrics,
      xdsConnections: () => running.xds.connections,
      shutdown: () => {
        shuttingDown ??= (async () => {
          running.xds.close();
          await running.grpc.close();
          await running.monitoring.close();
          for (const s of running.sources) s.stop();
          await running.index.stop();
          await running.routes.stop();
          await running.waypoints.stop();
          await running.policies.stop();
          await running.publisher.stop();
          logger.info('istiod stopped');
        })();
        return shuttingDown;
      },
    };
  } catch (err) {
    await stopAll().catch((e: unknown) => logger.error(`cleanup after a failed start: ${describeError(err)}: ${describeError(e)}`));
    throw err;
  }
}
