// What a container process is given: literal, downward-API and ConfigMap/Secret env, `$(VAR)`
// expansion, the Kubernetes service variables, and clear problems for what cannot be resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { containerEnv, expand, EnvContext } from './pod-env';

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'node2', serviceAccountName: 'web-sa', containers: [] },
};
const ctx: EnvContext = {
  pod, podIP: '198.18.2.7', hostIP: '198.18.0.12', apiServer: { host: '198.19.0.1', port: 443 },
  lookup: (kind, name, key) => {
    const all: Record<string, Record<string, string>> = { 'ConfigMap/cfg': { MODE: 'fast', LEVEL: '3' }, 'Secret/sec': { PASSWORD: 'hunter2' } };
    const data = all[`${kind}/${name}`];
    if (!data) return undefined;
    return key === undefined ? data : Object.fromEntries(Object.entries(data).filter(([k]) => k === key));
  },
};

test('downward API, refs, envFrom with prefix and expansion resolve like a kubelet', () => {
  const { env, problems } = containerEnv({
    name: 'c', image: 'ambit/echo',
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
      { name: 'URL', value: 'http://$(IP):8080/$(NS)/$$(NS)' },
    ],
  }, ctx);
  assert.deepEqual(problems, []);
  assert.equal(env.POD, 'web-1');
  assert.equal(env.NS, 'shop');
  assert.equal(env.NODE, 'node2');
  assert.equal(env.IP, '198.18.2.7');
  assert.equal(env.SA, 'web-sa');
  assert.equal(env.APP, 'web');
  assert.equal(env.PW, 'hunter2');
  assert.equal(env.CFG_MODE, 'fast');
  assert.equal(env.URL, 'http://198.18.2.7:8080/shop/$(NS)');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '198.19.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
});

test('missing references are reported unless optional', () => {
  const { problems } = containerEnv({
    name: 'c', image: 'x',
    env: [
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'C', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
    ],
  }, ctx);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /key "k" of ConfigMap "nope" not found/);
  assert.match(problems[1], /unsupported fieldRef "spec.bogus"/);
});

test('expand leaves unknown variables alone', () => {
  assert.equal(expand('$(A)-$(B)', { A: '1' }), '1-$(B)');
});
