// The waypoint's entry point (image `ambit/waypoint`, started by istiod's waypoint Deployment):
// read the environment, build, and shut down cleanly on SIGTERM / SIGINT or POST /quitquitquit.
// A bad configuration ends the process with a message and exit code 1. Errors nobody caught are
// logged with their stack and the waypoint keeps serving: one hostile client must not take every
// other request down with it.

import { describeError } from '../pkg/errors/mesh-error';
import { consoleLogger as log } from '../pkg/log/logger';
import { build, type Waypoint } from './build';
import { loadConfig, type WaypointSettings } from './config';

/** Longest a shutdown may take beyond the drain deadline before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function main(): Promise<void> {
  let settings: WaypointSettings;
  try {
    settings = loadConfig(process.env);
  } catch (err) {
    log.error(`waypoint cannot start: ${describeError(err)}`);
    process.exitCode = 1;
    return;
  }
  process.on('uncaughtException', (err) => log.error(`uncaught exception (the waypoint keeps running; this is a bug): ${stackOf(err)}`));
  process.on('unhandledRejection', (reason) => log.error(`unhandled promise rejection (the waypoint keeps running; this is a bug): ${stackOf(reason)}`));

  log.info(`waypoint starting: ${settings.configName} as ${settings.identity}, pod ${settings.podName} (${settings.instanceIP}), xDS ${settings.xdsAddress}, CA ${settings.caAddress}`);
  let deadlineArmed = false;
  const armDeadline = (): void => {
    if (deadlineArmed) return;
    deadlineArmed = true;
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, settings.drainTimeoutMs + SHUTDOWN_GRACE_MS);
    force.unref();
  };
  // Signals are taken from the start: one arriving while the waypoint is still starting stops it once built.
  const started: { waypoint?: Waypoint } = {};
  let stopRequested = false;
  const stop = (signal: string): void => {
    log.info(`${signal}: shutting down`);
    stopRequested = true;
    started.waypoint?.shutdown().catch((err: unknown) => log.error(`shutdown failed: ${describeError(err)}`));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const waypoint = await build(settings, { logger: log, onShutdown: armDeadline });
  started.waypoint = waypoint;
  if (stopRequested) stop('signal during start-up');
  void waypoint.closed.then(() => process.exit(0));
  await waypoint.ready;
  log.info('waypoint ready');
}

main().catch((err: unknown) => {
  log.error(`waypoint failed to start: ${describeError(err)}`);
  process.exit(1);
});
