// ClusterRuntime: the node-and-pod runtime of one local cluster, as the kubelet stand-in uses it:
// bridge and nodes, pod networks, Service rules in every node, DNS files, container processes,
// and teardown. Serializes what must not interleave (pod IP allocation per node, rule syncs).

import { planAddresses, type AddressPlan, type ClusterBlock, type NodeAddresses } from './address-plan';
import { checkPrerequisites } from './exec';
import type { ServiceName } from './hosts-file';
import { tearDownCluster } from './leftovers';
import { writeDnsFiles } from './netns-files';
import { ensureBridge, ensureNode } from './node-network';
import { isClusterNetns, nodeIndexOfNetns, nodeNetnsName, podNetnsName, validateClusterName } from './names';
import { ensurePodNetwork, removePodNetwork, type PodNetwork, type PodNetworkRequest } from './pod-network';
import { startContainer, type ContainerStart, type ContainerState, type RunningContainer } from './processes';
import { renderServiceRules, type ServiceRule } from './service-rules';
import { ServiceRuleApplier } from './service-sync';

export interface RuntimeConfig {
  /** 1-8 lower-case letters/digits, starting with a letter, not ending in n<digits>. */
  cluster: string;
  block: ClusterBlock;
  nodeCount: number;
  /** Where logs/, pids/ and other runtime state go. */
  stateDir: string;
}

export interface HostsWriteTarget {
  /** A pod netns, or a node netns (then only namespaced Service names are written). */
  netns: string;
  namespace: string;
  hostname: string;
  ip: string;
}

export class ClusterRuntime {
  readonly config: Readonly<RuntimeConfig>;
  readonly plan: AddressPlan;
  private readonly applier = new ServiceRuleApplier();
  private readonly containers = new Set<RunningContainer>();
  private readonly nodeQueues = new Map<number, Promise<unknown>>();
  private servicesQueue: Promise<unknown> = Promise.resolve();
  private lastServices: ServiceRule[] | null = null;

  constructor(config: RuntimeConfig) {
    validateClusterName(config.cluster);
    this.plan = planAddresses(config.block, config.nodeCount);
    this.config = Object.freeze({ ...config });
  }

  /** Checks prerequisites, then creates (or completes) the bridge and every node. Idempotent. */
  async setUp(): Promise<void> {
    await checkPrerequisites();
    await ensureBridge(this.config.cluster, this.plan);
    for (const node of this.plan.nodes) await ensureNode(this.config.cluster, this.plan, node);
    this.applier.forget();
    if (this.lastServices) await this.syncServices(this.lastServices);
  }

  nodeNetns(nodeIndex: number): string {
    return nodeNetnsName(this.config.cluster, this.node(nodeIndex).index);
  }

  /** Name the pod's netns has (or will have); hostNetwork pods use nodeNetns instead. */
  podNetns(uid: string): string {
    return podNetnsName(this.config.cluster, uid);
  }

  private node(nodeIndex: number): NodeAddresses {
    const node = this.plan.nodes.find((n) => n.index === nodeIndex);
    if (!node) throw new Error(`cluster '${this.config.cluster}' has no node ${nodeIndex} (it has ${this.plan.nodes.length})`);
    return node;
  }

  /** Creates the pod's network (idempotent; reuses preferredIP when free). hostNetwork pods get the node's. */
  ensurePodNetwork(pod: PodNetworkRequest): Promise<PodNetwork> {
    const node = this.node(pod.nodeIndex);
    const previous = this.nodeQueues.get(node.index) ?? Promise.resolve();
    const next = previous.then(() => ensurePodNetwork(this.config.cluster, node, pod));
    this.nodeQueues.set(node.index, next.catch(() => undefined));
    return next;
  }

  /** Stops the pod's remaining containers, then removes its netns, veth and DNS files. */
  async removePodNetwork(uid: string): Promise<void> {
    await Promise.all([...this.containers].filter((c) => c.spec.podUID === uid).map((c) => c.stop()));
    await removePodNetwork(this.config.cluster, uid);
  }

  /** Renders the Services once and brings every node netns in line (unchanged nodes are skipped). */
  syncServices(rules: readonly ServiceRule[]): Promise<void> {
    const snapshot = rules.map((r) => ({ ...r, ports: r.ports.map((p) => ({ ...p, endpoints: p.endpoints.map((e) => ({ ...e })) })) }));
    const rendered = renderServiceRules(snapshot);
    const run = async (): Promise<void> => {
      this.lastServices = snapshot;
      await Promise.all(this.plan.nodes.map((n) => this.applier.apply(this.nodeNetns(n.index), rendered)));
    };
    const next = this.servicesQueue.then(run, run);
    this.servicesQueue = next.catch(() => undefined);
    return next;
  }

  /** Rewrites (in place) the hosts file and resolv.conf of a pod or node netns of this cluster. */
  async writeHosts(target: HostsWriteTarget, services: readonly ServiceName[]): Promise<void> {
    this.checkNetns(target.netns);
    const isNode = nodeIndexOfNetns(this.config.cluster, target.netns) !== null;
    await writeDnsFiles(target.netns, { namespace: isNode ? null : target.namespace, hostname: target.hostname, ip: target.ip }, services);
  }

  /** Starts a supervised container in a pod or node netns of this cluster. */
  startContainer(spec: ContainerStart, onState: (s: ContainerState) => void): RunningContainer {
    this.checkNetns(spec.netns);
    const inner = startContainer(this.config.stateDir, spec, onState);
    this.containers.add(inner);
    return {
      spec: inner.spec,
      logFile: inner.logFile,
      get current() {
        return inner.current;
      },
      stop: async (graceMs?: number) => {
        try {
          await inner.stop(graceMs);
        } finally {
          this.containers.delete(inner);
        }
      },
    };
  }

  private checkNetns(netns: string): void {
    if (!isClusterNetns(this.config.cluster, netns)) throw new Error(`'${netns}' is not a network namespace of cluster '${this.config.cluster}'`);
  }

  /** Stops every container, then removes everything of the cluster (found by name, so crash leftovers too). */
  async tearDown(): Promise<void> {
    const running = [...this.containers];
    this.containers.clear();
    await Promise.allSettled(running.map((c) => c.stop()));
    this.applier.forget();
    this.nodeQueues.clear();
    await tearDownCluster(this.config.cluster, this.config.stateDir);
  }
}
