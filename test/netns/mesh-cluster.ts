// What the root tests of the ambient mesh on a local cluster share: a two-node cluster of their
// own (address block 1, a private state root) brought up with `ambit install`, waits that fail
// with the pods and the cluster log in the message, pod lookups, requests from inside pods, a
// node's network namespace (where ztunnel runs), and the YAML of pinned test Deployments.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { findLeftovers } from '../../localcluster/runtime';
import { CLI, clusterCli, run, sleep, type ClusterCli } from './cluster-cli';

export interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName: string };
  status: { podIP?: string; conditions?: { type: string; status: string }[] };
}

export interface Echo { pod: string; node: string; namespace: string; source: string }

export const isReady = (p: Pod): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class MeshCluster implements ClusterCli {
  readonly name: string;
  root = '';
  private readonly cli: ClusterCli;

  constructor(prefix: string) {
    this.name = `${prefix}${Math.random().toString(36).slice(2, 6).replace(/[^a-z0-9]/g, 'x')}`;
    this.cli = clusterCli(() => this.env(), 240_000);
  }

  get stateDir(): string { return join(this.root, this.name); }
  get kubeconfig(): string { return join(this.stateDir, 'kubeconfig'); }
  env(): NodeJS.ProcessEnv { return { ...process.env, AMBIT_STATE_ROOT: this.root, AMBIT_CLUSTER: this.name, KUBECONFIG: this.kubeconfig }; }
  ambit(...args: string[]): Promise<string> { return this.cli.ambit(...args); }
  kubectl(...args: string[]): Promise<string> { return this.cli.kubectl(...args); }

  /** `ambit local up` (two nodes, block 1) and `ambit install`. */
  async up(rootPrefix: string): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), rootPrefix));
    await this.ambit('local', 'up', '--nodes', '2', '--block', '1');
    assert.match(await this.ambit('install', '--timeout', '180s'), /ready/i);
  }

  /** `ambit local down`, then checks nothing of the cluster is left. */
  async down(): Promise<void> {
    if (!this.root) return;
    await run(process.execPath, [CLI, 'local', 'down'], { env: this.env(), timeout: 180_000 }).catch(() => undefined);
    assert.deepEqual(await findLeftovers(this.name, this.stateDir), []);
    await rm(this.root, { recursive: true, force: true });
  }

  async clusterLog(): Promise<string> {
    return (await readFile(join(this.stateDir, 'logs', 'cluster.log'), 'utf8').catch(() => '')).split('\n').slice(-60).join('\n');
  }

  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        const pods = await this.kubectl('get', 'pods', '-A', '-o', 'wide').catch(() => '');
        throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\n${pods}\n${await this.clusterLog()}`);
      }
      await sleep(400);
    }
  }

  async pods(namespace: string, selector: string): Promise<Pod[]> {
    return (JSON.parse(await this.kubectl('get', 'pods', '-n', namespace, '-l', selector, '-o', 'json')) as { items: Pod[] }).items;
  }

  async waitReady(namespace: string, selector: string, count: number): Promise<Pod[]> {
    return this.until(`${count} ready pod(s) ${namespace}/${selector}`, async () => {
      const list = (await this.pods(namespace, selector)).filter(isReady);
      return list.length === count ? list : undefined;
    }, 120_000);
  }

  /** GET `url` with curl inside a pod (`ns/deploy/name`); the echo server's JSON answer. */
  async curl(from: string, url: string, ...extra: string[]): Promise<Echo> {
    const stdout = await this.ambit('local', 'exec', from, '--', 'curl', '-sS', '--max-time', '5', ...extra, url);
    return JSON.parse(stdout) as Echo;
  }

  nodeNetns(node: string): string {
    return `${this.name}-${node}`;
  }

  /** Runs a command in a node's network namespace (where ztunnel lives). */
  async onNode(node: string, ...cmd: string[]): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', this.nodeNetns(node), ...cmd], { timeout: 30_000 });
    return stdout;
  }

  async metricsOf(node: string): Promise<string> {
    return this.onNode(node, 'curl', '-sS', '--max-time', '5', 'http://127.0.0.1:15020/metrics');
  }

  async configDump<T>(node: string): Promise<T> {
    return JSON.parse(await this.onNode(node, 'curl', '-sS', '--max-time', '3', 'http://127.0.0.1:15000/config_dump')) as T;
  }
}

/** A Deployment pinned to one node, with the downward-API env the sample images report. */
export const pinned = (name: string, node: string, image: string,
  opts: { replicas?: number; sa?: string; port?: number; httpProbe?: boolean } = {}): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  replicas: ${opts.replicas ?? 1}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name}, version: v1 } }
    spec:
      ${opts.sa ? `serviceAccountName: ${opts.sa}` : ''}
      terminationGracePeriodSeconds: 2
      nodeSelector: { kubernetes.io/hostname: ${node} }
      containers:
        - name: main
          image: ${image}
          env:
            - { name: VERSION, value: v1 }
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            - name: POD_NAMESPACE
              valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
            - name: NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
${opts.port ? `          readinessProbe: { ${opts.httpProbe ? 'httpGet: { path: /, port' : 'tcpSocket: { port'}: ${opts.port} }, periodSeconds: 1 }` : ''}
`;

export const service = (name: string, app: string, port: number, target: number, portName = 'http'): string =>
  `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec:\n  selector: { app: ${app} }\n  ports: [{ name: ${portName}, port: ${port}, targetPort: ${target} }]\n`;
