// The kubelet stand-in of one node: runs the pods bound to it (network namespace, volumes — the
// service-account token, projected tokens, ConfigMaps, Secrets, downward API, emptyDir, hostPath
// directories — container processes from the image map), runs readiness probes, keeps each pod's
// hosts file and volumes current and writes pod status (and FailedMount events) to the store.

import { rm } from 'node:fs/promises';
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
import { PodVolumes } from './pod-volumes';
import { planPodVolumes } from './volume-plan';
import { envLookup, recordPodEvent, serviceAccountOf, volumeLookups } from './volume-sources';

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
  volumes?: PodVolumes;
  /** A required volume could not be set up yet: the containers wait (ContainerCreating). */
  volumesPending: boolean;
  /** Containers whose env names a missing ConfigMap/Secret (key): retried when those change. */
  configPending: Set<string>;
  lastMountMessage?: string;
  retryTimer?: NodeJS.Timeout;
  statusTimer?: NodeJS.Timeout;
  stopping: boolean;
}

/** Lifetime of the default service-account token (refreshed at 80%, as projected tokens are). */
const TOKEN_SECONDS = 24 * 3600;
/** How often a pod waiting for a volume (a missing ConfigMap, ...) tries again without an event. */
const VOLUME_RETRY_MS = 10_000;

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
      if (e.typeKey === '/configmaps' || e.typeKey === '/secrets') {
        this.volumeSourceChanged(e.typeKey === '/configmaps' ? 'ConfigMap' : 'Secret', e.object);
        return;
      }
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
    if (run) {
      // Running: pod specs are immutable apart from metadata. A pod waiting for a volume, or
      // containers waiting for a ConfigMap/Secret their env names, try again.
      if (run.stopping) return;
      if (run.volumesPending) await this.mountAndStart(pod, run);
      else if (run.configPending.size) this.retryContainers(pod, run);
      return;
    }
    await this.startPod(pod);
  }

  /** A ConfigMap or Secret changed: pods waiting for it retry, running pods get the new content. */
  private volumeSourceChanged(kind: 'ConfigMap' | 'Secret', obj: KubeObject): void {
    for (const run of this.pods.values()) {
      if (run.stopping || run.namespace !== obj.metadata.namespace) continue;
      if (run.configPending.size && !run.volumesPending) this.retryPod(run);
      if (!run.volumes?.reads(kind, obj.metadata.name ?? '')) continue;
      if (run.volumesPending) this.retryPod(run);
      else void run.volumes.refresh(kind, obj.metadata.name ?? '');
    }
  }

  private retryContainers(pod: KubeObject, run: PodRun): void {
    const waiting = run.containers.filter((c) => run.configPending.has(c.name));
    run.configPending.clear();
    for (const c of waiting) this.startContainer(pod, run, c);
    this.writeStatus(run);
  }

  private retryPod(run: PodRun): void {
    const pod = this.o.store.tryGet(this.podsType, run.namespace, run.name);
    if (pod && pod.metadata.uid === run.uid) this.enqueue(run.uid, pod);
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
      containers: podContainers(pod), running: new Map(), states: new Map(), ready: new Map(), probes: [], stopping: false, volumesPending: false, configPending: new Set(),
    };
    this.pods.set(uid, run);
    await this.o.runtime.writeHosts({ netns: run.netns, namespace: run.namespace, hostname: run.name, ip: run.podIP }, this.o.services());
    const sa = this.o.store.tryGet(this.o.registry.find('', 'serviceaccounts')!, run.namespace, serviceAccountOf(pod));
    const plan = planPodVolumes(pod, {
      defaultTokenSeconds: TOKEN_SECONDS,
      ...(typeof sa?.automountServiceAccountToken === 'boolean' ? { serviceAccountAutomount: sa.automountServiceAccountToken } : {}),
    });
    if (plan.problems.length) {
      const message = plan.problems.join('; ');
      for (const c of run.containers) run.states.set(c.name, { state: 'waiting', reason: 'CreateContainerConfigError', message, restartCount: 0 });
      this.log(`${run.namespace}/${run.name}: ${message}`);
      this.writeStatus(run);
      return;
    }
    run.volumes = new PodVolumes(plan, {
      podDir: join(this.o.stateDir, 'pods', run.uid),
      lookups: volumeLookups(this.o, run),
      log: (m) => this.log(`${run.namespace}/${run.name}: ${m}`),
    });
    await this.mountAndStart(pod, run);
  }

  /** Sets up the pod's volumes, then starts its containers; or leaves them waiting and says why. */
  private async mountAndStart(pod: KubeObject, run: PodRun): Promise<void> {
    if (!run.volumes) return;
    if (run.retryTimer) clearTimeout(run.retryTimer);
    run.retryTimer = undefined;
    const result = await run.volumes.setUp();
    if (run.stopping) return;
    if (!result.ok) {
      run.volumesPending = true;
      for (const c of run.containers) run.states.set(c.name, { state: 'waiting', reason: 'ContainerCreating', message: result.message, restartCount: 0 });
      if (result.message !== run.lastMountMessage) {
        this.log(`${run.namespace}/${run.name}: ${result.message}`);
        const failed = recordPodEvent(this.o, run, 'FailedMount', result.message);
        if (failed) this.log(`${run.namespace}/${run.name}: event: ${failed}`);
      }
      run.lastMountMessage = result.message;
      run.retryTimer = setTimeout(() => this.retryPod(run), VOLUME_RETRY_MS);
      this.writeStatus(run);
      return;
    }
    run.volumesPending = false;
    for (const c of run.containers) this.startContainer(pod, run, c);
    this.writeStatus(run);
  }

  private startContainer(pod: KubeObject, run: PodRun, c: ContainerSpec): void {
    const waiting = (reason: 'CreateContainerConfigError' | 'ErrImagePull', message: string): void => {
      run.states.set(c.name, { state: 'waiting', reason, message, restartCount: 0 });
      if (reason === 'CreateContainerConfigError') run.configPending.add(c.name);
      this.log(`${run.namespace}/${run.name} container ${c.name}: ${message}`);
    };
    const { env, problems } = containerEnv(c, {
      pod, podIP: run.podIP, hostIP: this.o.nodeIP, apiServer: this.o.apiServer,
      lookup: envLookup(this.o, run.namespace),
    });
    if (problems.length) return waiting('CreateContainerConfigError', problems.join('; '));
    const image = resolveImage({ image: c.image, command: c.command?.map((s) => expand(s, env)), args: c.args?.map((s) => expand(s, env)) }, this.o.distDir);
    if ('error' in image) return waiting('ErrImagePull', image.error);
    const probe = readinessProbe(c);
    if (probe && 'error' in probe) return waiting('CreateContainerConfigError', probe.error);
    run.ready.set(c.name, probe === undefined);
    const container = this.o.runtime.startContainer({
      podUID: run.uid, namespace: run.namespace, podName: run.name, containerName: c.name, netns: run.netns,
      command: image.argv, env, ...(c.workingDir ? { cwd: c.workingDir } : {}), mounts: run.volumes?.mountsFor(c.name) ?? [],
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
    if (run.retryTimer) clearTimeout(run.retryTimer);
    await run.volumes?.stop();
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
