// Finding the local cluster's node agent through a real (test) API server: a cluster state
// directory whose supervisor record names this test process, two nodes, ztunnel pods on one of
// them. What a user sees: the agent picked, or an error naming the nodes or where ztunnel runs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterConfig, statePaths } from '../localcluster/cluster/config';
import { writeKubeconfig } from '../localcluster/apiserver/server';
import { apiRequest, startTestApiServer, type TestApiServer } from '../localcluster/apiserver/test-support';
import { readProcStat } from '../localcluster/runtime/proc-stat';
import { UsageError } from './args';
import { findLocalAgent } from './ztunnel-admin';

const CLUSTER = 'zct';
let server: TestApiServer;
let root: string;
let savedRoot: string | undefined;

async function create(path: string, body: unknown): Promise<void> {
  const r = await apiRequest(server, 'POST', path, { body });
  assert.ok(r.status === 201 || r.status === 200, `${path}: ${r.status} ${r.text}`);
}

function ztunnelPod(name: string, node: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'istio-system', labels: { app: 'ztunnel' } },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: 'istio-proxy', image: 'ambit/ztunnel' }] },
  };
}

before(async () => {
  server = await startTestApiServer();
  root = await mkdtemp(join(tmpdir(), 'ambit-zc-cluster-'));
  savedRoot = process.env.AMBIT_STATE_ROOT;
  process.env.AMBIT_STATE_ROOT = root;
  const cfg = clusterConfig({ name: CLUSTER });
  const paths = statePaths(cfg.stateDir);
  await mkdir(cfg.stateDir, { recursive: true });
  const stat = await readProcStat(process.pid);
  await writeFile(paths.daemonPid, JSON.stringify({ pid: process.pid, startTime: stat?.startTime, config: cfg }));
  await writeKubeconfig(paths.kubeconfig, server.urls[0], server.caPem, server.adminToken, CLUSTER);
  for (const node of ['node1', 'node2']) await create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } });
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
  await create('/api/v1/namespaces/istio-system/pods', ztunnelPod('ztunnel-n1', 'node1'));
});

after(async () => {
  if (savedRoot === undefined) delete process.env.AMBIT_STATE_ROOT;
  else process.env.AMBIT_STATE_ROOT = savedRoot;
  await server.dispose();
  await rm(root, { recursive: true, force: true });
});

async function refusal(node: string | undefined, message: RegExp): Promise<void> {
  await assert.rejects(findLocalAgent(CLUSTER, node), (err: Error) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

test('the named node with its ztunnel pod and network namespace', async () => {
  const agent = await findLocalAgent(CLUSTER, 'node1');
  assert.deepEqual({ ...agent, pod: agent.pod.name }, { cluster: CLUSTER, node: 'node1', pod: 'ztunnel-n1', netns: 'zct-node1' });
});

test('several nodes and none named: the error lists them', async () => {
  await refusal(undefined, /^local cluster 'zct' has 2 nodes \(node1, node2\): pick one with --node$/);
  await refusal('node5', /^local cluster 'zct' has no node 'node5' \(nodes: node1, node2\)$/);
});

test('a node without a ztunnel pod says so and where ztunnel runs', async () => {
  await refusal('node2', /^no ztunnel pod \(namespace istio-system, label app=ztunnel\) is scheduled on node node2; ztunnel pods run on: node1$/);
});

test('an API server that does not answer is one line naming it', async () => {
  const cfg = clusterConfig({ name: 'zdead' });
  const paths = statePaths(cfg.stateDir);
  await mkdir(cfg.stateDir, { recursive: true });
  await writeFile(paths.daemonPid, JSON.stringify({ pid: process.pid, startTime: (await readProcStat(process.pid))?.startTime, config: cfg }));
  await writeKubeconfig(paths.kubeconfig, 'https://127.0.0.1:1', server.caPem, server.adminToken, 'zdead');
  await assert.rejects(findLocalAgent('zdead', 'node1'), (err: Error) => {
    assert.match(err.message, /^the local cluster's API server did not answer \(list nodes\): .*ECONNREFUSED/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
});

test('a cluster that is not running, and a bad cluster name', async () => {
  await assert.rejects(findLocalAgent('other', 'node1'), { message: "local cluster 'other' is not running: start it with 'ambit local up', or name an agent with --admin-url" });
  await assert.rejects(findLocalAgent('Bad_Name', undefined), { message: /^--cluster Bad_Name: a local cluster name is 1-8 lowercase/ });
});
