// The xds-scale cluster: the local cluster's API server alone, in the bench process on 127.0.0.1
// (no controllers, no kubelets — pods are only objects), the Istio security CRDs istiod watches,
// its kubeconfig, the node objects and ztunnel pods with bound istio-ca tokens for the simulated
// node agents, and a population of ambient pods, Services and AuthorizationPolicies written over
// the REST API with bounded concurrency. Keeps the live pods per group, so changes know what exists.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { startApiServer, writeKubeconfig, type ApiServer } from '../../localcluster/apiserver/server';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { SimulatedNode } from '../agents/xds-clients-protocol';
import { KubeRest, runBounded } from '../harness/kube-rest';
import type { ScenarioContext } from '../harness/scenario';
import {
  GROUP_SIZE, ISTIO_NAMESPACE, NAMESPACE_COUNT, SECURITY_CRD_FILES, ZTUNNEL_ACCOUNT, authorizationPoliciesPath, namespaceManifest, namespaceName, nodeIp, nodeManifest,
  nodeName, planPod, planService, podManifest, runningStatus, serviceManifest, ztunnelNodeId, ztunnelPodManifest, ztunnelPodName,
  ztunnelTokenRequest, type Json, type PodPlan, type ServicePlan,
} from './xds-scale-objects';

const TOKEN_SECONDS = 12 * 3600;
const MERGE_PATCH = 'application/merge-patch+json';

export interface ScaleCluster {
  readonly api: ApiServer;
  readonly rest: KubeRest;
  readonly kubeconfig: string;
  /** One simulated node agent per node, with its token. */
  readonly nodes: readonly SimulatedNode[];
  readonly population: Population;
  close(): Promise<void>;
}

const podsPath = (ns: string): string => `/api/v1/namespaces/${ns}/pods`;
const servicesPath = (ns: string): string => `/api/v1/namespaces/${ns}/services`;

/** Registers the AuthorizationPolicy and PeerAuthentication CRDs (istiod's policy index lists both before it is ready). */
async function postSecurityCrds(rest: KubeRest, repoRoot: string): Promise<void> {
  for (const file of SECURITY_CRD_FILES) {
    const crd = loadYaml(await readFile(join(repoRoot, 'manifests', 'crds', file), 'utf8'));
    if (typeof crd !== 'object' || crd === null || Array.isArray(crd)) throw new MeshError(ErrorCode.InvalidArgument, `manifests/crds/${file} is not one object`);
    await rest.expect('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', [201], crd);
  }
}

/** Starts the API server and writes what every run needs: CRDs, namespaces, nodes, ztunnel pods and tokens. */
export async function startScaleCluster(ctx: ScenarioContext, clients: number, concurrency: number): Promise<ScaleCluster> {
  const api = await startApiServer({ stateDir: join(ctx.tmpDir, 'apiserver'), listen: [{ host: '127.0.0.1', port: 0 }] });
  const rest = new KubeRest({ server: api.urls[0] as string, caPem: api.caPem, token: api.adminToken, maxSockets: concurrency });
  try {
    const kubeconfig = join(ctx.tmpDir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, api.urls[0] as string, api.caPem, api.adminToken, 'xds-scale');
    await postSecurityCrds(rest, ctx.repoRoot);
    await rest.expect('POST', '/api/v1/namespaces', [201], namespaceManifest(ISTIO_NAMESPACE, false));
    for (let i = 0; i < NAMESPACE_COUNT; i++) await rest.expect('POST', '/api/v1/namespaces', [201], namespaceManifest(namespaceName(i), true));
    await rest.expect('POST', `/api/v1/namespaces/${ISTIO_NAMESPACE}/serviceaccounts`, [201], { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ZTUNNEL_ACCOUNT } });
    const nodes: SimulatedNode[] = [];
    for (let k = 1; k <= clients; k++) {
      await rest.expect('POST', '/api/v1/nodes', [201], nodeManifest(k));
      const pod = await rest.expect('POST', podsPath(ISTIO_NAMESPACE), [201], ztunnelPodManifest(k)) as { metadata: { uid: string } };
      const tr = await rest.expect('POST', `/api/v1/namespaces/${ISTIO_NAMESPACE}/serviceaccounts/${ZTUNNEL_ACCOUNT}/token`, [201],
        ztunnelTokenRequest(k, pod.metadata.uid, TOKEN_SECONDS)) as { status: { token: string } };
      nodes.push({
        nodeId: ztunnelNodeId(k), nodeName: nodeName(k), podName: ztunnelPodName(k), podNamespace: ISTIO_NAMESPACE, nodeIp: nodeIp(k), token: tr.status.token,
      });
    }
    const population = new Population(rest, clients, concurrency);
    return {
      api, rest, kubeconfig, nodes, population,
      close: async () => {
        rest.close();
        await api.close();
      },
    };
  } catch (err) {
    rest.close();
    await api.close();
    throw err;
  }
}

/** The pods and Services written so far, and the writes that add or remove them. */
export class Population {
  private readonly pods = new Map<number, PodPlan[]>();
  private readonly services: ServicePlan[] = [];
  private podCount = 0;
  /** VIP indexes of the Services changes add (far above the regular ones). */
  private nextExtraVip = 60_000;

  constructor(private readonly rest: KubeRest, private readonly nodes: number, private readonly concurrency: number) {}

  /** Running pods now. */
  livePods(): number {
    return this.podCount;
  }

  liveServices(): number {
    return this.services.length;
  }

  /** The Address resources istiod should serve: one per running pod and per Service. */
  expectedAddresses(): number {
    return this.podCount + this.services.length;
  }

  podsOf(group: number): readonly PodPlan[] {
    return this.pods.get(group) ?? [];
  }

  /** Writes regular pods [from, to) and the Services of their groups; returns the number of writes. */
  async grow(from: number, to: number, log: (line: string) => void): Promise<number> {
    const firstGroup = Math.ceil(from / GROUP_SIZE);
    const lastGroup = Math.ceil(to / GROUP_SIZE);
    const services = Array.from({ length: Math.max(0, lastGroup - firstGroup) }, (_, i) => planService(firstGroup + i));
    await runBounded(services, this.concurrency, (s) => this.createService(s));
    const plans = Array.from({ length: to - from }, (_, i) => planPod(from + i, this.nodes));
    const step = Math.max(1, Math.floor(plans.length / 10));
    const started = Date.now();
    await runBounded(plans, this.concurrency, async (p) => {
      await this.createPod(p);
      await this.makeRunning(p);
    }, (done) => {
      if (done % step === 0 || done === plans.length) log(`  pods: ${from + done}/${to} (${Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))} pods/s)`);
    });
    return services.length + 2 * plans.length;
  }

  async createService(s: ServicePlan): Promise<void> {
    await this.rest.expect('POST', servicesPath(s.namespace), [201], serviceManifest(s));
    this.services.push(s);
  }

  /** A Service with a fresh VIP selecting an existing group (a change). */
  extraService(group: number, name: string): ServicePlan {
    return planService(group, this.nextExtraVip++, name);
  }

  /** Creates a pod object (no address yet: it is not a Workload until makeRunning). */
  async createPod(p: PodPlan): Promise<void> {
    await this.rest.expect('POST', podsPath(p.namespace), [201], podManifest(p));
  }

  /** The status write a kubelet would make: Running, its IP, Ready=True. */
  async makeRunning(p: PodPlan): Promise<void> {
    await this.rest.expect('PATCH', `${podsPath(p.namespace)}/${p.name}/status`, [200], runningStatus(p.ip), MERGE_PATCH);
    const list = this.pods.get(p.group) ?? [];
    list.push(p);
    this.pods.set(p.group, list);
    this.podCount++;
  }

  async deletePod(p: PodPlan): Promise<void> {
    await this.rest.expect('DELETE', `${podsPath(p.namespace)}/${p.name}`, [200, 202]);
    const list = this.pods.get(p.group) ?? [];
    const i = list.findIndex((x) => x.name === p.name);
    if (i < 0) throw new MeshError(ErrorCode.Internal, `pod ${p.namespace}/${p.name} is not in the population`);
    list.splice(i, 1);
    this.podCount--;
  }

  /** Creates an AuthorizationPolicy in `namespace`. */
  async createPolicy(namespace: string, manifest: Json): Promise<void> {
    await this.rest.expect('POST', authorizationPoliciesPath(namespace), [201], manifest);
  }

  async deletePolicy(namespace: string, name: string): Promise<void> {
    await this.rest.expect('DELETE', `${authorizationPoliciesPath(namespace)}/${name}`, [200, 202]);
  }

  /** A pod plan for a change (a fresh index beyond the regular ones, in an existing group). */
  extraPod(index: number, group: number): PodPlan {
    return planPod(index, this.nodes, group, `extra-${index}`);
  }
}
