// The arguments of `ambit ztunnel-config` and how it picks the local cluster's agent: sections and
// their singular aliases, -o, --admin-url normalisation, clear usage errors, the node choice,
// "no ztunnel on that node", and the node's network namespace name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './args';
import { adminDumpUrl, agentPodOn, chooseNode, nodeNetns, parseZtunnelConfigArgs, type AgentPod } from './ztunnel-config-target';

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof UsageError, `UsageError, got ${err.constructor.name}`);
    assert.match(err.message, message);
    return true;
  });
}

test('sections, aliases and output formats', () => {
  assert.deepEqual(parseZtunnelConfigArgs(['workloads']), { section: 'workloads', output: 'table', target: { kind: 'local', cluster: undefined, node: undefined } });
  assert.equal(parseZtunnelConfigArgs(['policy']).section, 'policies');
  assert.equal(parseZtunnelConfigArgs(['certificate']).section, 'certificates');
  assert.equal(parseZtunnelConfigArgs(['all', '-o', 'json']).output, 'json');
  assert.equal(parseZtunnelConfigArgs(['services', '--output=json']).output, 'json');
  assert.deepEqual(parseZtunnelConfigArgs(['services', '--node', 'node2', '--cluster', 'dev']).target, { kind: 'local', cluster: 'dev', node: 'node2' });
  assert.deepEqual(parseZtunnelConfigArgs(['services'], { AMBIT_CLUSTER: 'envname' }).target, { kind: 'local', cluster: 'envname', node: undefined });
});

test('--admin-url: the agent base URL becomes its /config_dump', () => {
  const target = parseZtunnelConfigArgs(['workloads', '--admin-url', 'http://127.0.0.1:15000']).target;
  assert.equal(target.kind === 'url' && target.url.href, 'http://127.0.0.1:15000/config_dump');
  assert.equal(adminDumpUrl('http://localhost:8080/').href, 'http://localhost:8080/config_dump');
  assert.equal(adminDumpUrl('http://[::1]:15000/config_dump?x=1').href, 'http://[::1]:15000/config_dump');
  assert.equal(adminDumpUrl('http://h:1/proxy/ztunnel').href, 'http://h:1/proxy/ztunnel/config_dump');
});

test('argument mistakes are usage errors that say what to do', () => {
  usageError(() => parseZtunnelConfigArgs([]), /^say what to show\nusage: ambit ztunnel-config workloads\|services/);
  usageError(() => parseZtunnelConfigArgs(['pods']), /^unknown section 'pods': pick workloads, services, policies, certificates or all/);
  usageError(() => parseZtunnelConfigArgs(['workloads', 'extra']), /^unexpected arguments: extra/);
  usageError(() => parseZtunnelConfigArgs(['workloads', '-o', 'yaml']), /^-o yaml: pick json or table/);
  usageError(() => parseZtunnelConfigArgs(['workloads', '--bogus']), /^unknown option --bogus/);
  usageError(() => parseZtunnelConfigArgs(['workloads', '--node']), /^option --node needs a value/);
  usageError(() => parseZtunnelConfigArgs(['workloads', '--admin-url', 'nope']), /^--admin-url nope: not a URL/);
  usageError(() => parseZtunnelConfigArgs(['workloads', '--admin-url', 'https://h:1']), /plain http:\/\//);
  usageError(() => parseZtunnelConfigArgs(['workloads', '--admin-url', 'http://h:1', '--node', 'node1']), /use one or the other/);
});

test('the node: the one named, the only one, or an error listing the nodes', () => {
  assert.equal(chooseNode(['node1'], undefined, 'ambit'), 'node1');
  assert.equal(chooseNode(['node2', 'node1'], 'node2', 'ambit'), 'node2');
  usageError(() => chooseNode(['node2', 'node1'], undefined, 'ambit'), /^local cluster 'ambit' has 2 nodes \(node1, node2\): pick one with --node$/);
  usageError(() => chooseNode(['node1', 'node2'], 'node7', 'ambit'), /^local cluster 'ambit' has no node 'node7' \(nodes: node1, node2\)$/);
  usageError(() => chooseNode([], undefined, 'dev'), /^local cluster 'dev' has no nodes$/);
});

test('the ztunnel pod on the node: a ready one preferred; none is a clear error', () => {
  const pods: AgentPod[] = [
    { name: 'ztunnel-a', nodeName: 'node1', phase: 'Pending', ready: false },
    { name: 'ztunnel-b', nodeName: 'node1', phase: 'Running', ready: true },
    { name: 'ztunnel-c', nodeName: 'node2', phase: 'Running', ready: false },
  ];
  assert.equal(agentPodOn(pods, 'node1').name, 'ztunnel-b');
  assert.equal(agentPodOn(pods, 'node2').name, 'ztunnel-c');
  usageError(() => agentPodOn(pods, 'node3'), /^no ztunnel pod \(namespace istio-system, label app=ztunnel\) is scheduled on node node3; ztunnel pods run on: node1, node2$/);
  usageError(() => agentPodOn([], 'node1'), /there are no ztunnel pods at all: install the mesh with 'ambit install'$/);
});

test("a node's network namespace is <cluster>-node<i>", () => {
  assert.equal(nodeNetns('ambit', 'node1'), 'ambit-node1');
  assert.equal(nodeNetns('dev', 'node12'), 'dev-node12');
  usageError(() => nodeNetns('ambit', 'worker-a'), /not a local-cluster node name/);
});
