// Settings of one local cluster (name, address block, node count, where its state lives) and the
// layout of its state directory. Pure: validation reports every problem at once.

import { join } from 'node:path';

export interface ClusterConfig {
  /** Short name: prefixes network namespaces and interfaces (≤ 8 chars, [a-z0-9]). */
  readonly name: string;
  /** Address block: 0 is DESIGN §6's plan; 1 is the same plan shifted so a test cluster can run beside it. */
  readonly block: 0 | 1;
  readonly nodes: number;
  readonly stateDir: string;
  /** API server port on 127.0.0.1 (kubectl on this machine) — pods use the bridge address, port 6443. */
  readonly apiPort: number;
}

export const DEFAULT_STATE_ROOT = '/var/lib/ambit/clusters';

export interface ClusterConfigInput {
  name?: string;
  block?: number;
  nodes?: number;
  stateDir?: string;
  apiPort?: number;
}

export function clusterConfig(input: ClusterConfigInput, env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const problems: string[] = [];
  const name = input.name ?? 'ambit';
  if (!/^[a-z][a-z0-9]{0,7}$/.test(name)) problems.push(`name "${name}": 1-8 characters, lowercase letters and digits, starting with a letter`);
  const block = input.block ?? 0;
  if (block !== 0 && block !== 1) problems.push(`block ${block}: must be 0 or 1`);
  const nodes = input.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 20) problems.push(`nodes ${nodes}: must be a whole number from 1 to 20`);
  const apiPort = input.apiPort ?? (block === 1 ? 16444 : 16443);
  if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535) problems.push(`apiPort ${apiPort}: not a TCP port`);
  if (problems.length) throw new Error(`invalid local cluster settings:\n  ${problems.join('\n  ')}`);
  const stateDir = input.stateDir ?? join(env.AMBIT_STATE_ROOT ?? DEFAULT_STATE_ROOT, name);
  return Object.freeze({ name, block: block as 0 | 1, nodes, stateDir, apiPort });
}

/** Where things live inside a cluster's state directory. */
export function statePaths(stateDir: string) {
  return {
    config: join(stateDir, 'cluster.json'),
    daemonPid: join(stateDir, 'daemon.json'),
    ready: join(stateDir, 'ready.json'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    apiserver: join(stateDir, 'apiserver'),
    logs: join(stateDir, 'logs'),
    daemonLog: join(stateDir, 'logs', 'cluster.log'),
    pods: join(stateDir, 'pods'),
  } as const;
}

export const nodeName = (index: number): string => `node${index}`;
