// The kubelet stand-in of one node: runs the pods bound to it (network namespace, service-account
// token files, container processes from the image map), runs readiness probes, keeps each pod's
// hosts file current and writes pod status back to the API server's store.

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord, KubeObject, ResourceType } from '../apiserver/types';
import { Store, StoreEvent } from '../apiserver/store';
import { Registry } from '../apiserver/registry';
import { TokenSigner } from '../apiserver/tokens';
import { timestamp } from '../apiserver/object-meta';
import { resolveImage } from '../images/image-map';
import { ClusterRuntime } from '../runtime';
import { ContainerState, RunningContainer } from '../runtime/processes';
import { containerEnv, ContainerSpec, expand, podContainers } from './pod-env';
import { ContainerRunState, podStatus } from './pod-status';
import { ProbeLoop, readinessProbe } from './probes';
import { ServiceName } from '../runtime/hosts-file';

export interface KubeletOptions {
  nodeName: string;
  nodeIndex: number;
  nodeIP: string;
  store: Store;
  registry: Registry;
  runtime: ClusterRuntime;
  signer: TokenSigner;
  caPem: string;
  /** How pods reach the API server (the `kubernetes` Service VIP and port). */
  apiServer: { host: string; port: number };
  /** Audiences of the default service-account token (the API server's issuer). */
  tokenAudiences: string[];
  distDir: string;
  stateDir: string;
  services: () => ServiceName[];
}

interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  netns: string;
  podIP: string;
  hostNetwork: boolean;
  startTime: string;
  containers: ContainerSpec[];
  running: Map<string, RunningContainer>;
  states: Map<string, ContainerRunState>;
  ready: Map<string, boolean>;
  probes: ProbeLoop[];
  tokenTimer?: NodeJS.Timeout;
  statusTimer?: NodeJS.Timeout;
  stopping: boolean;
}

const TOKEN_SECONDS = 24 * 3600;

function restartPolicyOf(pod: KubeObject): 'Always' | 'OnFailure' | 'Never' {
  const p = isRecord(pod.spec) ? pod.spec.restartPolicy : undefined;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** terminationGracePeriodSeconds (default 30 s, as Kubernetes), capped so `down` never hangs long. */
function graceMsOf(pod: KubeObject): number {
  const g = isRecord(pod.spec) ? pod.spec.terminationGracePeriodSeconds : undefined;
  return Math.min(typeof g === 'number' && g >= 0 ? g * 1000 : 30_000, 30_000);
}
const podKey = (p: KubeObject): string => `${p.metadata.namespace}/${p.metadata.name}`;

export class Kubelet {
  private readonly pods = new Map<string, PodRun>(); // uid → run
  private readonly podsType: ResourceType;
  private unsubscribe: (() => void) | undefined;
  private readonly queue = new Map<string, KubeObject | undefined>(); // uid → latest object (undefined: deleted)
  private draining: Promise<void> | undefined;

  constructor(private readonly o: KubeletOptions) {
    this.podsType = o.registry.find('', 'pods')!;
  }

  start(): void {
    const mine = (p: KubeObject | undefined): boolean => isRecord(p?.spec) && p.spec.nodeName === this.o.nodeName;
    this.unsubscribe = this.o.store.subscribe((e: StoreEvent) => {
      if (e.typeKey !== '/pods') return;
      if (!mine(e.object) && !mine(e.old)) return;
      this.enqueue(e.object.metadata.uid ?? '', e.type === 'DELETED' || !mine(e.object) ? undefined : e.object);
    });
    for (const p of this.o.store.list(this.podsType).items) if (mine(p)) this.enqueue(p.metadata.uid ?? '', p);
  }

  /** Stops every pod of this node (processes and network). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.draining;
    await Promise.all([...this.pods.values()].map((run) => this.stopPod(run)));
  }

  /** Rewrites the hosts file of every pod here (the Service list changed). */
  async refreshHosts(): Promise<void> {
    const services = this.o.services();
    await Promise.all([...this.pods.values()].filter((r) => !r.stopping).map((r) =>
      this.o.runtime.writeHosts({ netns: r.netns, namespace: r.namespace, hostname: r.name, ip: r.podIP }, services)
        .catch((err: Error) => this.log(`${r.namespace}/${r.name}: hosts file: ${err.message}`))));
  }

  private enqueue(uid: string, pod: KubeObject | undefined): void {
    if (!uid) return;
    this.queue.set(uid, pod);
    this.draining ??= this.drain().finally(() => { this.draining = undefined; });
  }

  private async drain(): Promise<void> {
    while (this.queue.size) {
      const [uid, pod] = this.queue.entries().next().value as [string, KubeObject | undefined];
      this.queue.delete(uid);
      try {
        await this.reconcile(uid, pod);
      } catch (err) {
        this.log(`pod ${pod ? podKey(pod) : uid}: ${(err as Error).message}`);
      }
    }
  }

  private async reconcile(uid: string, pod: KubeObject | undefined): Promise<void> {
    const run = this.pods.get(uid);
    if (!pod || pod.metadata.deletionTimestamp) {
      if (run) await this.stopPod(run);
      return;
    }
    if (run) return; // running: pod specs are immutable apart from metadata
    await this.startPod(pod);
  }

  private async startPod(pod: KubeObject): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const status = isRecord(pod.status) ? pod.status : {};
    const hostNetwork = spec.hostNetwork === true;
    const net = await this.o.runtime.ensurePodNetwork({
      uid, nodeIndex: this.o.nodeIndex, hostNetwork,
      ...(typeof status.podIP === 'string' && status.podIP ? { preferredIP: status.podIP } : {}),
    });
    const run: PodRun = {
      uid, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', netns: net.netns, podIP: net.podIP,
      hostNetwork, startTime: typeof status.startTime === 'string' ? status.startTime : timestamp(),
      containers: podContainers(pod), running: new Map(), states: new Map(), ready: new Map(), probes: [], stopping: false,
    };
    this.pods.set(uid, run);
    await this.o.runtime.writeHosts({ netns: run.netns, namespace: run.namespace, hostname: run.name, ip: run.podIP }, this.o.services());
    const saDir = await this.writeServiceAccount(pod, run);
    run.tokenTimer = setInterval(() => void this.writeServiceAccount(pod, run).catch(() => undefined), (TOKEN_SECONDS * 1000) / 2);
    for (const c of run.containers) this.startContainer(pod, run, c, saDir);
    this.writeStatus(run);
  }

  private startContainer(pod: KubeObject, run: PodRun, c: ContainerSpec, saDir: string): void {
    const waiting = (reason: 'CreateContainerConfigError' | 'ErrImagePull', message: string): void => {
      run.states.set(c.name, { state: 'waiting', reason, message, restartCount: 0 });
      this.log(`${run.namespace}/${run.name} container ${c.name}: ${message}`);
    };
    const { env, problems } = containerEnv(c, {
      pod, podIP: run.podIP, hostIP: this.o.nodeIP, apiServer: this.o.apiServer,
      lookup: (kind, name, key) => this.lookup(run.namespace, kind, name, key),
    });
    if (problems.length) return waiting('CreateContainerConfigError', problems.join('; '));
    const image = resolveImage({ image: c.image, command: c.command?.map((s) => expand(s, env)), args: c.args?.map((s) => expand(s, env)) }, this.o.distDir);
    if ('error' in image) return waiting('ErrImagePull', image.error);
    const probe = readinessProbe(c);
    if (probe && 'error' in probe) return waiting('CreateContainerConfigError', probe.error);
    run.ready.set(c.name, probe === undefined);
    const container = this.o.runtime.startContainer({
      podUID: run.uid, namespace: run.namespace, podName: run.name, containerName: c.name, netns: run.netns,
      command: image.argv, env, ...(c.workingDir ? { cwd: c.workingDir } : {}), serviceAccountDir: saDir,
      restartPolicy: restartPolicyOf(pod), stopGraceMs: graceMsOf(pod),
    }, (s: ContainerState) => {
      run.states.set(c.name, s);
      if (s.state !== 'running' && probe) run.ready.set(c.name, false);
      this.writeStatus(run);
    });
    run.running.set(c.name, container);
    if (probe) {
      run.probes.push(new ProbeLoop(probe, run.podIP, (ready) => {
        run.ready.set(c.name, ready);
        this.writeStatus(run);
      }));
    }
  }

  private lookup(namespace: string, kind: 'ConfigMap' | 'Secret', name: string, key: string | undefined): Record<string, string> | undefined {
    const t = this.o.registry.find('', kind === 'ConfigMap' ? 'configmaps' : 'secrets')!;
    const obj = this.o.store.tryGet(t, namespace, name);
    if (!obj) return undefined;
    const data = isRecord(obj.data) ? obj.data : {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) {
      if (key !== undefined && k !== key) continue;
      if (typeof v === 'string') out[k] = kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
    }
    return out;
  }

  /** The projected service-account volume: token (bound to the pod), ca.crt, namespace. */
  private async writeServiceAccount(pod: KubeObject, run: PodRun): Promise<string> {
    const dir = join(this.o.stateDir, 'pods', run.uid, 'serviceaccount');
    await mkdir(dir, { recursive: true });
    const spec = isRecord(pod.spec) ? pod.spec : {};
    const saName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
    const sa = this.o.store.tryGet(this.o.registry.find('', 'serviceaccounts')!, run.namespace, saName);
    const node = this.o.store.tryGet(this.o.registry.find('', 'nodes')!, undefined, this.o.nodeName);
    const token = this.o.signer.issue({
      namespace: run.namespace, serviceAccountName: saName, serviceAccountUid: sa?.metadata.uid ?? '',
      audiences: this.o.tokenAudiences, expirationSeconds: TOKEN_SECONDS,
      pod: { name: run.name, uid: run.uid },
      ...(node?.metadata.uid ? { node: { name: this.o.nodeName, uid: node.metadata.uid } } : {}),
    });
    // Written beside, then renamed: readers of the bind-mounted directory never see half a token.
    for (const [file, content] of [['token', token], ['ca.crt', this.o.caPem], ['namespace', run.namespace]] as const) {
      await writeFile(join(dir, `.${file}.tmp`), content, { mode: 0o600 });
      await rename(join(dir, `.${file}.tmp`), join(dir, file));
    }
    return dir;
  }

  private writeStatus(run: PodRun): void {
    if (run.statusTimer || run.stopping) return;
    run.statusTimer = setTimeout(() => {
      run.statusTimer = undefined;
      if (run.stopping) return;
      const pod = this.o.store.tryGet(this.podsType, run.namespace, run.name);
      if (!pod || pod.metadata.uid !== run.uid) return;
      const status = podStatus(pod, {
        containers: run.containers, states: run.states, ready: run.ready,
        podIP: run.podIP, hostIP: this.o.nodeIP, startTime: run.startTime,
      }, timestamp());
      try {
        this.o.store.update(this.podsType, { ...pod, status }, { subresource: 'status' });
      } catch (err) {
        this.log(`${run.namespace}/${run.name}: status update: ${(err as Error).message}`);
      }
    }, 20);
  }

  private async stopPod(run: PodRun): Promise<void> {
    if (run.stopping) return;
    run.stopping = true;
    if (run.statusTimer) clearTimeout(run.statusTimer);
    if (run.tokenTimer) clearInterval(run.tokenTimer);
    for (const p of run.probes) p.stop();
    await Promise.all([...run.running.values()].map((c) => c.stop().catch((err: Error) => this.log(`${run.name}: stop: ${err.message}`))));
    await this.o.runtime.removePodNetwork(run.uid).catch((err: Error) => this.log(`${run.name}: network: ${err.message}`));
    await rm(join(this.o.stateDir, 'pods', run.uid), { recursive: true, force: true });
    this.pods.delete(run.uid);
  }

  private log(msg: string): void {
    process.stdout.write(`kubelet[${this.o.nodeName}]: ${msg}\n`);
  }
}
