import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { CLIENT_POD, renderNamespaceManifests, serverCommand, SERVER_PORTS } from './l4-manifests';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    nodeSelector?: Record<string, string>;
    containers?: { image: string; command?: string[]; readinessProbe?: { tcpSocket?: { port: number } } }[];
  };
}

function docs(yaml: string): Doc[] {
  return loadAll(yaml) as Doc[];
}

const base = { repoRoot: '/work/repo', nodeBinary: '/usr/bin/node' };

test('the ambient namespace is labelled for ambient mode; the plain one is not', () => {
  const mesh = docs(renderNamespaceManifests({ ...base, namespace: 'mesh', ambient: true, servers: { http: true } }));
  const plain = docs(renderNamespaceManifests({ ...base, namespace: 'plain', ambient: false, servers: { http: true } }));
  assert.deepEqual(mesh.find((d) => d.kind === 'Namespace')?.metadata.labels, { 'istio.io/dataplane-mode': 'ambient' });
  assert.equal(plain.find((d) => d.kind === 'Namespace')?.metadata.labels, undefined);
});

test('the client pod sleeps on node1; each server asked for runs its host command on node2 with a TCP readiness probe', () => {
  const all = docs(renderNamespaceManifests({ ...base, namespace: 'plain', ambient: false, servers: { iperf: true, http: true, echo: true } }));
  const pods = all.filter((d) => d.kind === 'Pod');
  assert.deepEqual(pods.map((p) => p.metadata.name), [CLIENT_POD, 'l4-iperf', 'l4-http', 'l4-echo']);
  const client = pods[0];
  assert.equal(client.spec?.nodeSelector?.['kubernetes.io/hostname'], 'node1');
  assert.equal(client.spec?.containers?.[0].image, 'ambit/sleep');
  for (const p of pods.slice(1)) {
    assert.equal(p.metadata.namespace, 'plain');
    assert.equal(p.spec?.nodeSelector?.['kubernetes.io/hostname'], 'node2');
    assert.equal(p.spec?.containers?.[0].image, 'busybox');
  }
  assert.deepEqual(pods[1].spec?.containers?.[0].command, ['iperf3', '-s', '-p', '5201']);
  assert.deepEqual(pods[2].spec?.containers?.[0].command, ['/usr/bin/node', '/work/repo/dist/bench/agents/http-backend.js', '--host', '0.0.0.0', '--port', '8080']);
  assert.deepEqual(pods[3].spec?.containers?.[0].command, ['/usr/bin/node', '/work/repo/dist/bench/agents/connect-load.js', '--mode', 'server', '--host', '0.0.0.0', '--port', '9100']);
  assert.deepEqual(pods.slice(1).map((p) => p.spec?.containers?.[0].readinessProbe?.tcpSocket?.port), [SERVER_PORTS.iperf, SERVER_PORTS.http, SERVER_PORTS.echo]);
});

test('only the servers asked for are deployed', () => {
  const pods = docs(renderNamespaceManifests({ ...base, namespace: 'mesh', ambient: true, servers: { echo: true, http: false } })).filter((d) => d.kind === 'Pod');
  assert.deepEqual(pods.map((p) => p.metadata.name), [CLIENT_POD, 'l4-echo']);
});

test('paths with spaces stay one argument; relative paths are refused', () => {
  const cmd = serverCommand('http', '/opt/my repo/', '/usr/bin/node');
  assert.equal(cmd[1], '/opt/my repo/dist/bench/agents/http-backend.js');
  const pod = docs(renderNamespaceManifests({ repoRoot: '/opt/my repo', nodeBinary: '/usr/bin/node', namespace: 'plain', ambient: false, servers: { http: true } })).find((d) => d.metadata.name === 'l4-http');
  assert.equal(pod?.spec?.containers?.[0].command?.[1], '/opt/my repo/dist/bench/agents/http-backend.js');
  assert.throws(() => renderNamespaceManifests({ ...base, repoRoot: 'repo', namespace: 'plain', ambient: false, servers: { http: true } }), /absolute path/);
});
