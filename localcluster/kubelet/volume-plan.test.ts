// Volume planning: a pod spec becomes the volumes to write and each container's mounts — the
// ztunnel DaemonSet's projected token and ConfigMap, the default service-account volume and when
// it is left out — and every invalid or unsupported field is refused with its field path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../apiserver/types';
import { planPodVolumes, tokenRefreshMs, volumeReads, type PodVolumePlan } from './volume-plan';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

function pod(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'istio-system', uid: 'u1' }, spec };
}

const plan = (spec: Record<string, unknown>, sa?: boolean): PodVolumePlan =>
  planPodVolumes(pod(spec), { defaultTokenSeconds: 86400, ...(sa !== undefined ? { serviceAccountAutomount: sa } : {}) });

const ztunnelSpec = {
  containers: [{
    name: 'istio-proxy', image: 'ambit/ztunnel',
    volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
    ],
  }],
  volumes: [
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  ],
};

test('the ztunnel pod: a projected istio-ca token, the root-cert ConfigMap and the default token, all read-only', () => {
  const p = plan(ztunnelSpec);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.volumes.map((v) => [v.name, v.dir]), [
    ['istio-token', 'volumes/istio-token'], ['istiod-ca-cert', 'volumes/istiod-ca-cert'], ['kube-api-access', 'serviceaccount'],
  ]);
  assert.deepEqual(p.mounts['istio-proxy'], [
    { volume: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
    { volume: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio', readOnly: true },
    { volume: 'kube-api-access', mountPath: SA, readOnly: true },
  ]);
  const token = p.volumes[0].source;
  assert.ok(token.kind === 'files');
  assert.deepEqual(token.sources, [{ kind: 'serviceAccountToken', audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' }]);
  assert.equal(tokenRefreshMs(p.volumes[0]), 43200 * 800, 'refreshed at 80% of its lifetime');
  assert.equal(tokenRefreshMs(p.volumes[1]), undefined);
  assert.ok(volumeReads(p.volumes[1], 'ConfigMap', 'istio-ca-root-cert'));
  assert.ok(!volumeReads(p.volumes[1], 'Secret', 'istio-ca-root-cert'));
});

test('the default token follows automountServiceAccountToken (pod first, then the ServiceAccount) and an explicit mount', () => {
  const base = { containers: [{ name: 'c', image: 'x' }] };
  assert.equal(plan({ ...base, automountServiceAccountToken: false }).mounts.c.length, 0);
  assert.equal(plan(base, false).mounts.c.length, 0, 'ServiceAccount says no');
  assert.equal(plan({ ...base, automountServiceAccountToken: true }, false).mounts.c.length, 1, 'the pod overrides its ServiceAccount');
  const own = plan({
    containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'mine', mountPath: SA }] }],
    volumes: [{ name: 'mine', emptyDir: {} }],
  });
  assert.deepEqual(own.mounts.c, [{ volume: 'mine', mountPath: SA, readOnly: false }]);
});

test('secret, downwardAPI, emptyDir and hostPath directories are planned; readOnly is honoured where writable', () => {
  const p = plan({
    automountServiceAccountToken: false,
    containers: [{
      name: 'c', image: 'x',
      volumeMounts: [
        { name: 's', mountPath: '/etc/certs' }, { name: 'd', mountPath: '/etc/podinfo' },
        { name: 'scratch', mountPath: '/tmp/scratch' }, { name: 'host', mountPath: '/host/run', readOnly: true },
      ],
    }],
    volumes: [
      { name: 's', secret: { secretName: 'cacerts', items: [{ key: 'ca-cert.pem', path: 'ca.pem', mode: 0o400 }], optional: true } },
      { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: '/run/ambit', type: 'DirectoryOrCreate' } },
    ],
  });
  assert.deepEqual(p.problems, []);
  assert.deepEqual(p.volumes.map((v) => v.source.kind), ['files', 'files', 'emptyDir', 'hostPath']);
  assert.deepEqual(p.volumes[0].source.kind === 'files' && p.volumes[0].source.sources[0],
    { kind: 'secret', name: 'cacerts', optional: true, items: [{ key: 'ca-cert.pem', path: 'ca.pem', mode: 0o400 }] });
  assert.deepEqual(p.volumes[3].source, { kind: 'hostPath', path: '/run/ambit', create: true, readOnly: false });
  assert.deepEqual(p.mounts.c.map((m) => m.readOnly), [true, true, false, true]);
});

test('bad mount paths are refused with the field that holds them', () => {
  const bad = ['relative/path', '/', '/var/../etc', '/proc/self', '/sys', '/dev/shm', '/proc'];
  for (const mountPath of bad) {
    const p = plan({ containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath }] }], volumes: [{ name: 'v', emptyDir: {} }] });
    assert.equal(p.problems.length, 1, mountPath);
    assert.match(p.problems[0], /^spec\.containers\[0\]\.volumeMounts\[0\]\.mountPath: Invalid value/, mountPath);
  }
});

test('unsupported or invalid volumes and mounts are reported, each with its field', () => {
  const p = plan({
    containers: [{
      name: 'c', image: 'x',
      volumeMounts: [
        { name: 'missing', mountPath: '/a' }, { name: 'v', mountPath: '/b', subPath: 'x' },
        { name: 'v', mountPath: '/c' }, { name: 'v', mountPath: '/c' },
      ],
    }],
    volumes: [
      { name: 'v', emptyDir: {} },
      { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'short', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 599 } }] } },
      { name: 'escape', configMap: { name: 'cm', items: [{ key: 'k', path: '../k' }] } },
      { name: 'file', hostPath: { path: '/etc/hosts', type: 'File' } },
      { name: 'v', emptyDir: {} },
    ],
  });
  const expect = [
    /^spec\.volumes\[1\]: volume type persistentVolumeClaim is not supported/,
    /^spec\.volumes\[2\]\.projected\.sources\[0\]\.serviceAccountToken\.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/,
    /^spec\.volumes\[3\]\.configMap\.items\[0\]\.path: Invalid value: "\.\.\/k": must not start with '\.\.'/,
    /^spec\.volumes\[4\]\.hostPath\.type: Unsupported value: "File"/,
    /^spec\.volumes\[5\]\.name: Duplicate value: "v"/,
    /^spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "missing"/,
    /^spec\.containers\[0\]\.volumeMounts\[1\]\.subPath: subPath mounts are not supported/,
    /^spec\.containers\[0\]\.volumeMounts\[3\]\.mountPath: Invalid value: "\/c": must be unique/,
  ];
  assert.equal(p.problems.length, expect.length, p.problems.join('\n'));
  expect.forEach((re, i) => assert.match(p.problems[i], re));
});
