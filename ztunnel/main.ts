// ztunnel's entry point (image `ambit/ztunnel`): read the environment, build, and shut down cleanly
// on SIGTERM / SIGINT or POST /quitquitquit. A bad configuration ends the process with a message
// and exit code 1. Errors nobody caught are logged with their stack and the agent keeps serving:
// a hostile peer must never take the node's traffic down with it.

import { describeError } from '../pkg/errors/mesh-error';
import { consoleLogger as log } from '../pkg/log/logger';
import { build, type Ztunnel } from './build';
import { loadConfig, type ZtunnelConfig } from './config';

/** Longest a shutdown may take beyond the drain deadline before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function main(): Promise<void> {
  let config: ZtunnelConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    log.error(`ztunnel cannot start: ${describeError(err)}`);
    process.exitCode = 1;
    return;
  }
  process.on('uncaughtException', (err) => log.error(`uncaught exception (ztunnel keeps running; this is a bug): ${stackOf(err)}`));
  process.on('unhandledRejection', (reason) => log.error(`unhandled promise rejection (ztunnel keeps running; this is a bug): ${stackOf(reason)}`));

  log.info(`ztunnel starting: node ${config.nodeName} (${config.nodeIP}), xDS ${config.xdsAddress}, CA ${config.caAddress}, capture ${config.capture}`);
  let deadlineArmed = false;
  const armDeadline = (): void => {
    if (deadlineArmed) return;
    deadlineArmed = true;
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.drainTimeoutMs + SHUTDOWN_GRACE_MS);
    force.unref();
  };
  // Signals are taken from the start: one arriving while ztunnel is still starting stops it once built.
  const started: { ztunnel?: Ztunnel } = {};
  let stopRequested = false;
  const stop = (signal: string): void => {
    log.info(`${signal}: shutting down`);
    stopRequested = true;
    started.ztunnel?.shutdown().catch((err: unknown) => log.error(`shutdown failed: ${describeError(err)}`));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const ztunnel = await build(config, { logger: log, onShutdown: armDeadline });
  started.ztunnel = ztunnel;
  if (stopRequested) stop('signal during start-up');
  // However shutdown starts (a signal or /quitquitquit), the process ends when it is done.
  void ztunnel.closed.then(() => process.exit(0));
  await ztunnel.ready;
  log.info('ztunnel ready');
}

main().catch((err: unknown) => {
  log.error(`ztunnel failed to start: ${describeError(err)}`);
  process.exit(1);
});
