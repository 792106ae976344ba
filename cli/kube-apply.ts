// Applying manifests to a Kubernetes cluster: which kubeconfig to use (loaded with
// @kubernetes/client-node, ESM-only, through a real dynamic import from this CommonJS build),
// multi-document YAML → objects in install order, apply = create, or — when the object exists —
// a server-side apply patch (field manager `ambit`, forced) that the API server applies to the
// live object under its resourceVersion; CRD readiness. Failures name the object and the API
// server's message.

import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

export type ClientNode = typeof import('@kubernetes/client-node');
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

export const FIELD_MANAGER = 'ambit';
const REQUEST_TIMEOUT_MS = 30_000;

/** Imports @kubernetes/client-node; `new Function` keeps tsc from turning import() into require(). */
export function loadClientNode(): Promise<ClientNode> {
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<ClientNode>;
  return dynamicImport('@kubernetes/client-node');
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The objects of a multi-document YAML text; empty documents are skipped. Throws naming `source`. */
export function parseManifests(text: string, source: string): ManifestObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    throw new Error(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const out: ManifestObject[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const meta = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : undefined;
    if (!isRecord(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || typeof meta?.name !== 'string' || !meta.name) {
      throw new Error(`${source}: document ${i + 1} is not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
    }
    out.push(doc as ManifestObject);
  });
  return out;
}

/** Helm's install order: namespaces, CRDs, accounts and RBAC, configuration, Services, workloads. */
const KIND_ORDER = [
  'Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding',
  'Role', 'RoleBinding', 'Service', 'DaemonSet', 'Deployment',
];

/** `objects` in install order (stable within a kind; unknown kinds last). */
export function installOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  const rank = (o: ManifestObject): number => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map((x) => x.o);
}

/** kubectl's name for an object: `deployment.apps/istiod`, `namespace/istio-system`. */
export function describeObject(o: Pick<ManifestObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '';
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.metadata.name}`;
}

/** Where the kubeconfig comes from: --kubeconfig, $KUBECONFIG, ~/.kube/config, or nothing. */
export function kubeconfigSource(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { kind: 'file'; path: string } | { kind: 'default' } | { kind: 'none' } {
  if (flag) return { kind: 'file', path: flag };
  if (env.KUBECONFIG) return { kind: 'default' };
  if (existsSync(join(env.HOME ?? homedir(), '.kube', 'config'))) return { kind: 'default' };
  return { kind: 'none' };
}

/** Loads a kubeconfig (file or the default rules); throws a clear message when it has no cluster. */
export function loadKubeConfig(k8s: ClientNode, source: { kind: 'file'; path: string } | { kind: 'default' }): KubeConfig {
  const kc = new k8s.KubeConfig();
  const where = source.kind === 'file' ? source.path : process.env.KUBECONFIG ?? '~/.kube/config';
  try {
    if (source.kind === 'file') kc.loadFromFile(source.path);
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${where}: ${(err as Error).message}`);
  }
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${where} has no current context with a cluster`);
  return kc;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

type ObjectRef = Pick<ManifestObject, 'apiVersion' | 'kind' | 'metadata'>;

export interface Applier {
  apply(obj: ManifestObject): Promise<ApplyOutcome>;
  /** The live object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<Record<string, unknown> | undefined>;
  list(apiVersion: string, kind: string, namespace: string, labelSelector?: string): Promise<Record<string, unknown>[]>;
  /** The last lines of a container's log, or undefined when the server does not serve logs. */
  podLog(namespace: string, name: string, container: string, lines: number): Promise<string | undefined>;
}

interface Reply { status: number; text: string; body: unknown }

/**
 * Raw REST calls with the kubeconfig's credentials. (client-node's typed serializers drop fields
 * their models do not know — e.g. parts of CRD schemas — so objects are sent as they were read.)
 */
function restClient(kc: KubeConfig): (method: string, path: string, body?: unknown, contentType?: string) => Promise<Reply> {
  const server = kc.getCurrentCluster()?.server ?? '';
  return async (method, path, body, contentType = 'application/json') => {
    const url = new URL(`${server.replace(/\/+$/, '')}${path}`);
    const opts: RequestOptions = { method, headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<Reply>((resolve, reject) => {
      const req = send(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          resolve({ status: res.statusCode ?? 0, text, body: parsed });
        });
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname}: no answer from the API server within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(new Error(`cannot reach the API server at ${server}: ${err.message}`)));
      req.end(payload);
    });
  };
}

/** The Status message of a failed reply. */
function statusMessage(r: Reply): string {
  return isRecord(r.body) && typeof r.body.message === 'string' ? r.body.message : r.text.slice(0, 300) || `HTTP ${r.status}`;
}

export function createApplier(kc: KubeConfig): Applier {
  const call = restClient(kc);
  const defaultNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const discovery = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  const fail = (obj: ObjectRef, verb: string, r: Reply): Error => {
    const ns = obj.metadata.namespace ? ` in namespace ${obj.metadata.namespace}` : '';
    return new Error(`${verb} ${describeObject(obj)}${ns} failed (HTTP ${r.status}): ${statusMessage(r)}`);
  };
  /** The collection URL of a kind (discovery cached; asked again once when the kind is new, e.g. a fresh CRD). */
  const collection = async (apiVersion: string, kind: string, namespace: string | undefined): Promise<string> => {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt === 1 || !discovery.has(base)) {
        const r = await call('GET', base);
        const list = r.status === 200 && isRecord(r.body) && Array.isArray(r.body.resources) ? r.body.resources.filter(isRecord) : [];
        discovery.set(base, list.map((x) => ({ name: String(x.name), kind: String(x.kind), namespaced: x.namespaced === true })));
      }
      const found = discovery.get(base)?.find((x) => x.kind === kind && !x.name.includes('/'));
      if (found) return `${base}${found.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? defaultNamespace)}` : ''}/${found.name}`;
    }
    throw new Error(`the cluster does not serve ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`);
  };
  const objectPath = async (o: ObjectRef): Promise<string> =>
    `${await collection(o.apiVersion, o.kind, o.metadata.namespace)}/${encodeURIComponent(o.metadata.name)}`;
  const rvOf = (o: unknown): string => (isRecord(o) && isRecord(o.metadata) && typeof o.metadata.resourceVersion === 'string' ? o.metadata.resourceVersion : '');
  const manager = `fieldManager=${FIELD_MANAGER}`;
  return {
    async apply(obj) {
      const created = await call('POST', `${await collection(obj.apiVersion, obj.kind, obj.metadata.namespace)}?${manager}`, obj);
      if (created.status === 201 || created.status === 200) return 'created';
      const reason = isRecord(created.body) ? created.body.reason : undefined;
      if (created.status !== 409 || reason !== 'AlreadyExists') throw fail(obj, 'creating', created);
      const path = await objectPath(obj);
      const before = await call('GET', path);
      if (before.status !== 200) throw fail(obj, 'reading', before);
      const after = await call('PATCH', `${path}?${manager}&force=true`, obj, 'application/apply-patch+yaml');
      if (after.status !== 200 && after.status !== 201) throw fail(obj, 'applying', after);
      return rvOf(before.body) === rvOf(after.body) ? 'unchanged' : 'configured';
    },
    async read(ref) {
      const r = await call('GET', await objectPath(ref));
      if (r.status === 404) return undefined;
      if (r.status !== 200 || !isRecord(r.body)) throw fail(ref, 'reading', r);
      return r.body;
    },
    async list(apiVersion, kind, namespace, labelSelector) {
      const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const r = await call('GET', `${await collection(apiVersion, kind, namespace)}${query}`);
      if (r.status !== 200 || !isRecord(r.body) || !Array.isArray(r.body.items)) throw fail({ apiVersion, kind, metadata: { name: '', namespace } }, 'listing', r);
      return r.body.items.filter(isRecord);
    },
    async podLog(namespace, name, container, lines) {
      const r = await call('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?container=${encodeURIComponent(container)}&tailLines=${lines}`);
      return r.status === 200 ? r.text : undefined;
    },
  };
}

/** Whether a CRD's status says Established=True. */
export function crdEstablished(crd: Record<string, unknown> | undefined): boolean {
  const status = crd && isRecord(crd.status) ? crd.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((c) => isRecord(c) && c.type === 'Established' && c.status === 'True');
}
