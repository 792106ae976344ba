// Entry point of the local cluster's supervisor process (started detached by `ambit local up`):
// argv[2] is the cluster config as JSON. SIGTERM/SIGINT shut the cluster down cleanly.

import { join } from 'node:path';
import { clusterConfig, ClusterConfigInput } from './config';
import { runCluster } from './daemon';

async function main(): Promise<void> {
  const config = clusterConfig(JSON.parse(process.argv[2] ?? '{}') as ClusterConfigInput);
  const distDir = join(__dirname, '..', '..');
  const cluster = await runCluster(config, distDir);
  let exiting = false;
  const stop = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    process.stdout.write(`received ${signal}\n`);
    cluster.shutdown().then(() => process.exit(0), (err: Error) => {
      process.stderr.write(`shutdown failed: ${err.stack}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined);
}

main().catch((err: Error) => {
  process.stderr.write(`local cluster failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
