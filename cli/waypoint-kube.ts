// The Kubernetes calls of `ambit waypoint`: which cluster (--kubeconfig, --cluster NAME for a
// running local cluster, $KUBECONFIG or ~/.kube/config, else the running local cluster) and the
// few REST requests the command makes — Namespaces (read, label), waypoint Gateways (read, list,
// apply, delete), labelled Services and Pods, waypoint Deployments. Failures name the object and
// carry the API server's message; a cluster without the Gateway API CRDs is said so.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { clusterConfig, statePaths } from '../localcluster/cluster/config';
import { runningDaemon } from '../localcluster/cluster/control';
import { UsageError } from './args';
import { createApplier, kubeconfigSource, loadClientNode, loadKubeConfig, type ApplyOutcome, type KubeConfig, type ManifestObject } from './kube-apply';
import type { BindingKind } from './waypoint-bindings';
import type { ClusterChoice } from './waypoint-args';
import { GATEWAY_API_VERSION, rec, recs, str, type Json } from './waypoint-gateway';

const REQUEST_TIMEOUT_MS = 30_000;
/** A list answer larger than this is refused rather than buffered. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

/** A failed API call; `status` is the HTTP status (0 when the server was not reached). */
export class KubeCallError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export interface WaypointApi {
  /** The API server's URL and the kubeconfig context, for messages. */
  readonly server: string;
  /** The current context's namespace, `default` when it names none. */
  readonly defaultNamespace: string;
  getNamespace(name: string): Promise<Json | undefined>;
  /** Merge-patches a Namespace's labels; a null value removes the label. */
  labelNamespace(name: string, labels: Readonly<Record<string, string | null>>): Promise<void>;
  getGateway(namespace: string, name: string): Promise<Json | undefined>;
  /** Gateways of one namespace, or of all when `namespace` is undefined. */
  listGateways(namespace: string | undefined): Promise<Json[]>;
  applyGateway(gateway: ManifestObject): Promise<ApplyOutcome>;
  /** False when it was already gone. */
  deleteGateway(namespace: string, name: string): Promise<boolean>;
  /** Namespaces, Services or Pods matching a label selector, in one namespace or all. */
  listLabelled(kind: BindingKind, namespace: string | undefined, labelSelector: string): Promise<Json[]>;
  listDeployments(namespace: string, labelSelector: string): Promise<Json[]>;
}

/** The kubeconfig to use; `note` hears which local cluster was picked when none was named. */
export async function chooseKubeconfig(choice: ClusterChoice, env: NodeJS.ProcessEnv, note: (line: string) => void): Promise<{ kind: 'file'; path: string } | { kind: 'default' }> {
  if (choice.cluster !== undefined) return { kind: 'file', path: await localKubeconfig(choice.cluster) };
  const source = kubeconfigSource(choice.kubeconfig, env);
  if (source.kind !== 'none') return source;
  const name = env.AMBIT_CLUSTER ?? 'ambit';
  const running = /^[a-z][a-z0-9]{0,7}$/.test(name) ? await runningDaemon(clusterConfig({ name }, env).stateDir) : undefined;
  if (!running) throw new UsageError('no cluster: set KUBECONFIG, pass --kubeconfig PATH, or start a local cluster with `ambit local up`');
  const path = statePaths(running.config.stateDir).kubeconfig;
  note(`no KUBECONFIG and no ~/.kube/config: using local cluster '${name}' (${path})`);
  return { kind: 'file', path };
}

async function localKubeconfig(name: string): Promise<string> {
  if (!/^[a-z][a-z0-9]{0,7}$/.test(name)) throw new UsageError(`--cluster ${name}: a local cluster name is 1-8 lowercase letters and digits`);
  const running = await runningDaemon(clusterConfig({ name }).stateDir);
  if (!running) throw new UsageError(`local cluster '${name}' is not running: start it with 'ambit local up'`);
  return statePaths(running.config.stateDir).kubeconfig;
}

/** Connects to the chosen cluster (no request is made until a method is called). */
export async function connectWaypointApi(choice: ClusterChoice, env: NodeJS.ProcessEnv, note: (line: string) => void): Promise<WaypointApi> {
  const source = await chooseKubeconfig(choice, env, note);
  return waypointApi(loadKubeConfig(await loadClientNode(), source));
}

interface Reply { status: number; body: Json; text: string }

const COLLECTIONS: Readonly<Record<BindingKind, string>> = { namespace: 'namespaces', service: 'services', pod: 'pods' };

export function waypointApi(kc: KubeConfig): WaypointApi {
  const server = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const defaultNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> => {
    const url = new URL(`${server}${path}`);
    const opts: RequestOptions = { method, headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<Reply>((resolve, reject) => {
      const req = send(url, opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) req.destroy(new Error(`answer larger than ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          resolve({ status: res.statusCode ?? 0, body: rec(parsed), text });
        });
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(new KubeCallError(`cannot reach the API server at ${server}: ${err.message}`, 0)));
      req.end(payload);
    });
  };
  const fail = (verb: string, what: string, r: Reply): KubeCallError => {
    const message = str(r.body.message) || r.text.trim().slice(0, 300) || `HTTP ${r.status}`;
    return new KubeCallError(`${verb} ${what} failed (HTTP ${r.status}): ${message}`, r.status);
  };
  let gatewayApiChecked = false;
  /** Once: the cluster serves Gateways (their CRD is installed). */
  const gatewayApi = async (): Promise<string> => {
    const base = `/apis/${GATEWAY_API_VERSION}`;
    if (gatewayApiChecked) return base;
    const r = await call('GET', base);
    if (r.status === 200 && recs(r.body.resources).some((x) => x.name === 'gateways')) {
      gatewayApiChecked = true;
      return base;
    }
    if (r.status === 404 || r.status === 200) {
      throw new KubeCallError(`the cluster does not serve gateways.${GATEWAY_API_VERSION}: install the Gateway API CRDs (ambit install applies them)`, 404);
    }
    throw fail('discovering', GATEWAY_API_VERSION, r);
  };
  const enc = encodeURIComponent;
  const list = async (path: string, what: string, labelSelector?: string): Promise<Json[]> => {
    const r = await call('GET', labelSelector ? `${path}?labelSelector=${enc(labelSelector)}` : path);
    if (r.status !== 200 || !Array.isArray(r.body.items)) throw fail('listing', what, r);
    return recs(r.body.items);
  };
  const read = async (path: string, what: string): Promise<Json | undefined> => {
    const r = await call('GET', path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw fail('reading', what, r);
    return r.body;
  };
  const gatewayPath = async (namespace: string, name: string): Promise<string> => `${await gatewayApi()}/namespaces/${enc(namespace)}/gateways/${enc(name)}`;
  let applier: ReturnType<typeof createApplier> | undefined;

  return {
    server,
    defaultNamespace,
    getNamespace: (name) => read(`/api/v1/namespaces/${enc(name)}`, `namespace ${name}`),
    async labelNamespace(name, labels) {
      const r = await call('PATCH', `/api/v1/namespaces/${enc(name)}`, { metadata: { labels } }, 'application/merge-patch+json');
      if (r.status !== 200) throw fail('labelling', `namespace ${name}`, r);
    },
    getGateway: async (namespace, name) => read(await gatewayPath(namespace, name), `gateway ${namespace}/${name}`),
    async listGateways(namespace) {
      const base = await gatewayApi();
      return list(namespace === undefined ? `${base}/gateways` : `${base}/namespaces/${enc(namespace)}/gateways`, namespace === undefined ? 'gateways' : `gateways in namespace ${namespace}`);
    },
    async applyGateway(gateway) {
      await gatewayApi();
      applier ??= createApplier(kc);
      return applier.apply(gateway);
    },
    async deleteGateway(namespace, name) {
      const r = await call('DELETE', await gatewayPath(namespace, name));
      if (r.status === 404) return false;
      if (r.status !== 200 && r.status !== 202) throw fail('deleting', `gateway ${namespace}/${name}`, r);
      return true;
    },
    listLabelled(kind, namespace, labelSelector) {
      const plural = COLLECTIONS[kind];
      const path = kind === 'namespace' || namespace === undefined ? `/api/v1/${plural}` : `/api/v1/namespaces/${enc(namespace)}/${plural}`;
      return list(path, kind === 'namespace' || namespace === undefined ? plural : `${plural} in namespace ${namespace}`, labelSelector);
    },
    listDeployments: (namespace, labelSelector) =>
      list(`/apis/apps/v1/namespaces/${enc(namespace)}/deployments`, `deployments in namespace ${namespace}`, labelSelector),
  };
}
