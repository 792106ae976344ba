// Test-only: a real in-process API server with the Gateway CRD from manifests/crds, a kubeconfig
// for it, helpers that create namespaces / Services / Pods / Deployments and write a Gateway's
// status the way istiod's waypoint controller does, and `run` — `ambit waypoint ...` with its
// output captured.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { writeKubeconfig } from '../localcluster/apiserver/server';
import { apiRequest, eventually, startTestApiServer, type TestApiServer } from '../localcluster/apiserver/test-support';
import { waypoint } from './waypoint';

export const CRD_FILE = join(__dirname, '..', '..', 'manifests', 'crds', 'gateways.gateway.networking.k8s.io.yaml');
export const GATEWAYS = '/apis/gateway.networking.k8s.io/v1';

export interface Run { code: number; out: string[]; err: string[] }

export interface WaypointFixture {
  server: TestApiServer;
  kubeconfig: string;
  /** `ambit waypoint <args> --kubeconfig <fixture>`: exit code and output lines. */
  run(args: readonly string[]): Promise<Run>;
  /** Same, but rejects (with the Error the command threw) when it fails. */
  runStrict(args: readonly string[]): Promise<Run>;
  create(path: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  namespace(name: string, labels?: Record<string, string>): Promise<void>;
  get(path: string): Promise<Record<string, unknown> | undefined>;
  labelsOf(path: string): Promise<Record<string, string>>;
  /** Merge-patches `<path>/status`, as a controller does. */
  setStatus(path: string, status: Record<string, unknown>): Promise<void>;
  dispose(): Promise<void>;
}

/** Status istiod's waypoint controller writes for a programmed waypoint. */
export function programmedStatus(namespace: string, name: string, generation = 1): Record<string, unknown> {
  return {
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted', observedGeneration: generation, lastTransitionTime: '2024-01-01T00:00:00Z' },
      { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Resource programmed', observedGeneration: generation, lastTransitionTime: '2024-01-01T00:00:00Z' },
    ],
    addresses: [{ type: 'Hostname', value: `${name}.${namespace}.svc.cluster.local` }],
  };
}

export async function startWaypointFixture(): Promise<WaypointFixture> {
  const server = await startTestApiServer();
  const kubeconfig = join(server.stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  const crd = load(await readFile(CRD_FILE, 'utf8'));
  const installed = await apiRequest(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  assert.equal(installed.status, 201, installed.text);
  await eventually('the Gateway CRD to be served', async () => (await apiRequest(server, 'GET', GATEWAYS)).status === 200);

  const run = async (args: readonly string[], strict: boolean): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => { out.push(...l.split('\n')); }, err: (l: string) => { err.push(l); }, env: {}, pollMs: 20 };
    try {
      return { code: await waypoint([...args, '--kubeconfig', kubeconfig], io), out, err };
    } catch (e) {
      if (strict) throw e;
      err.push((e as Error).message);
      return { code: 1, out, err };
    }
  };
  const create = async (path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const r = await apiRequest(server, 'POST', path, { body });
    assert.equal(r.status, 201, r.text);
    return r.body as Record<string, unknown>;
  };
  const get = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const r = await apiRequest(server, 'GET', path);
    return r.status === 200 ? r.body as Record<string, unknown> : undefined;
  };
  return {
    server,
    kubeconfig,
    run: (args) => run(args, false),
    runStrict: (args) => run(args, true),
    create,
    async namespace(name, labels = {}) {
      await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    },
    get,
    async labelsOf(path) {
      const obj = await get(path);
      return ((obj?.metadata as { labels?: Record<string, string> } | undefined)?.labels) ?? {};
    },
    async setStatus(path, status) {
      const r = await apiRequest(server, 'PATCH', `${path}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
      assert.equal(r.status, 200, r.text);
    },
    dispose: () => server.dispose(),
  };
}
