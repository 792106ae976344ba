// istiod's entry point (image `ambit/istiod`): read the environment, build, and shut down cleanly on
// SIGTERM / SIGINT. A bad configuration or a broken CA secret ends the process with a message.

import 'reflect-metadata';
import tls from 'node:tls';
import { describeError } from '../pkg/errors/mesh-error';
import { build } from './build';
import { loadConfig, type IstiodConfig } from './config';
import { consoleLogger as log } from '../pkg/log/logger';

async function main(): Promise<void> {
  // Control-plane TLS never below 1.2, even if a command-line flag lowered Node's default.
  if (tls.DEFAULT_MIN_VERSION !== 'TLSv1.3') tls.DEFAULT_MIN_VERSION = 'TLSv1.2';
  let config: IstiodConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    log.error(describeError(err));
    process.exitCode = 2;
    return;
  }
  log.info(`istiod starting: trust domain ${config.trustDomain}, namespace ${config.namespace}, gRPC ${config.grpcHost}:${config.grpcPort}, `
    + `monitoring ${config.monitoringHost}:${config.monitoringPort}, xDS debounce ${config.debounceAfterMs}ms (max ${config.debounceMaxMs}ms)`);
  const istiod = await build(config, { logger: log });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    const force = setTimeout(() => { log.error('shutdown took too long; exiting'); process.exit(1); }, 15_000);
    force.unref();
    istiod.shutdown().then(() => process.exit(0), (err: unknown) => { log.error(`shutdown failed: ${describeError(err)}`); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await istiod.ready;
  log.info(`istiod ready: gRPC (CA, xDS) on port ${istiod.addresses.grpc.port}, /metrics and /ready on port ${istiod.addresses.monitoring.port}`);
}

main().catch((err: unknown) => {
  log.error(`istiod failed to start: ${describeError(err)}`);
  process.exit(1);
});
