// Wires istiod from its configuration: Kubernetes client → root of trust (cacerts / istio-ca-secret)
// → root-certificate publisher → gRPC server with the CA service. Returns DESIGN §8's
// `{ addresses, ready, shutdown() }` so tests run istiod in-process on port 0.

import { describeError } from '../pkg/errors/mesh-error';
import { createCaService, type CaCounters } from './ca/ca-service';
import { startRootPublisher, type RootPublisher } from './ca/root-publisher';
import { loadRootOfTrust } from './ca/root-of-trust';
import type { IstiodConfig } from './config';
import { startGrpcServer, type GrpcService, type RunningGrpcServer } from './grpc-server';
import { createKubeClient, loadKubeConfig } from './kube/client';
import type { CaKube } from './kube/types';
import { consoleLogger, type Logger } from '../pkg/log/logger';

export interface BuildOptions {
  readonly logger?: Logger;
  /** A ready-made Kubernetes client (tests); otherwise one is made from `config.kube`. */
  readonly kube?: CaKube;
}

export interface Istiod {
  readonly addresses: { readonly grpc: { readonly host: string; readonly port: number } };
  /** Resolves when the namespace and ConfigMap watches have listed. */
  readonly ready: Promise<void>;
  /** The trust bundle workloads verify istiod and each other with. */
  readonly rootsPem: string;
  readonly caCounters: CaCounters;
  shutdown(): Promise<void>;
}

export async function build(config: IstiodConfig, opts: BuildOptions = {}): Promise<Istiod> {
  const logger = opts.logger ?? consoleLogger;
  let publisher: RootPublisher | undefined;
  let grpc: RunningGrpcServer | undefined;
  const stopAll = async (): Promise<void> => {
    await grpc?.close();
    await publisher?.stop();
  };
  try {
    let kube = opts.kube;
    if (!kube) {
      const { k8s, kc } = await loadKubeConfig(config.kube);
      kube = createKubeClient(k8s, kc, logger);
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

    const ca = createCaService({ kube, ca: root.ca, settings: config, logger });
    const services: GrpcService[] = [
      { name: 'istio.v1.auth.IstioCertificateService', definition: ca.definition, implementation: { CreateCertificate: ca.handler } },
    ];
    grpc = await startGrpcServer({
      host: config.grpcHost, port: config.grpcPort, ca: root.ca, namespace: config.namespace,
      servingTtlSeconds: config.servingCertTtlSeconds, services, logger,
    });

    const running = { grpc, publisher };
    let shuttingDown: Promise<void> | undefined;
    return {
      addresses: { grpc: { host: config.grpcHost, port: grpc.port } },
      ready: publisher.synced,
      rootsPem: root.ca.rootsPem,
      caCounters: ca.counters,
      shutdown: () => {
        shuttingDown ??= (async () => {
          await running.grpc.close();
          await running.publisher.stop();
          logger.info('istiod stopped');
        })();
        return shuttingDown;
      },
    };
  } catch (err) {
    await stopAll().catch((e: unknown) => logger.error(`cleanup after a failed start: ${describeError(e)}`));
    throw err;
  }
}
