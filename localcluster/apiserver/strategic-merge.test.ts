// Tests for strategic merge patch (the bodies kubectl apply/label/annotate send) and for
// server-side apply treated as a merge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { applyApplyPatch, applyStrategicMergePatch } from './patch';

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
};

/** Paths of any `$`-prefixed directive keys left in a value. */
function directivesIn(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((el, i) => directivesIn(el, `${path}[${i}]`));
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, child]) =>
    [...(k.startsWith('$') ? [`${path}.${k}`] : []), ...directivesIn(child, `${path}.${k}`)]);
}

const pod = deepFreeze({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a', 'b'],
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }] },
  spec: {
    containers: [
      { name: 'app', image: 'app:v1', args: ['--x', '--y'],
        ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'metrics' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
        volumeMounts: [{ mountPath: '/data', name: 'data' }] },
      { name: 'sidecar', image: 'side:v1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k1', operator: 'Exists' }],
    imagePullSecrets: [{ name: 'reg' }],
  },
});

type Case = [name: string, kind: string, original: unknown, patch: unknown, want: unknown];

const containerOf = (overrides: Record<string, unknown>): Record<string, unknown> =>
  ({ ...pod.spec.containers[0], ...overrides });

test('strategic merge patch merges maps and keyed lists like Kubernetes', () => {
  const cases: Case[] = [
    ['kubectl label adds and removes labels', 'Pod', pod,
      { metadata: { labels: { app: null, tier: 'fe' } } },
      { ...pod, metadata: { ...pod.metadata, labels: { tier: 'fe' } } }],
    ['containers merge by name', 'Pod', pod,
      { spec: { containers: [{ name: 'sidecar', image: 'side:v2' }] } },
      { ...pod, spec: { ...pod.spec, containers: [pod.spec.containers[0], { name: 'sidecar', image: 'side:v2' }] } }],
    ['a new container is appended', 'Pod', pod,
      { spec: { containers: [{ name: 'extra', image: 'e' }] } },
      { ...pod, spec: { ...pod.spec, containers: [...pod.spec.containers, { name: 'extra', image: 'e' }] } }],
    ['$patch: delete removes a container', 'Pod', pod,
      { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
      { ...pod, spec: { ...pod.spec, containers: [pod.spec.containers[0]] } }],
    ['ports merge by containerPort, env by name, volumeMounts by mountPath', 'Pod', pod,
      { spec: { containers: [{ name: 'app',
        ports: [{ containerPort: 9090, $patch: 'delete' }, { containerPort: 7070, name: 'admin' }],
        env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }],
        volumeMounts: [{ mountPath: '/data', readOnly: true }] }] } },
      { ...pod, spec: { ...pod.spec, containers: [containerOf({
        ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 7070, name: 'admin' }],
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }],
        volumeMounts: [{ mountPath: '/data', name: 'data', readOnly: true }],
      }), pod.spec.containers[1]] } }],
    ['unkeyed lists (args, tolerations) are replaced', 'Pod', pod,
      { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }], containers: [{ name: 'app', args: ['--z'] }] } },
      { ...pod, spec: { ...pod.spec, tolerations: [{ key: 'k2', operator: 'Exists' }],
        containers: [containerOf({ args: ['--z'] }), pod.spec.containers[1]] } }],
    ['volumes and imagePullSecrets merge by name', 'Pod', pod,
      { spec: { volumes: [{ name: 'cfg', configMap: { name: 'c' } }], imagePullSecrets: [{ name: 'reg2' }] } },
      { ...pod, spec: { ...pod.spec, volumes: [...pod.spec.volumes, { name: 'cfg', configMap: { name: 'c' } }],
        imagePullSecrets: [{ name: 'reg' }, { name: 'reg2' }] } }],
    ['finalizers merge as a set; $deleteFromPrimitiveList removes', 'Pod', pod,
      { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
      { ...pod, metadata: { ...pod.metadata, finalizers: ['b', 'c'] } }],
    ['ownerReferences merge by uid', 'Pod', pod,
      { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u2' }] } },
      { ...pod, metadata: { ...pod.metadata, ownerReferences: [...pod.metadata.ownerReferences,
        { apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u2' }] } }],
    ['$patch: replace on a map replaces it', 'Pod', pod,
      { metadata: { labels: { $patch: 'replace', only: 'this' } } },
      { ...pod, metadata: { ...pod.metadata, labels: { only: 'this' } } }],
    ['$patch: delete on a map removes it', 'Pod', pod,
      { metadata: { labels: { $patch: 'delete' } } },
      { ...pod, metadata: { ...pod.metadata, labels: undefined } }],
    ['$patch: replace in a list replaces the list', 'Pod', pod,
      { spec: { volumes: [{ $patch: 'replace' }, { name: 'only', emptyDir: {} }] } },
      { ...pod, spec: { ...pod.spec, volumes: [{ name: 'only', emptyDir: {} }] } }],
    ['$retainKeys clears keys it does not name', 'Deployment',
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      { spec: { strategy: { type: 'Recreate' } } }],
    ['$setElementOrder orders a keyed list', 'Pod', pod,
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
        containers: [{ name: 'sidecar', image: 'side:v3' }] } },
      { ...pod, spec: { ...pod.spec, containers: [{ name: 'sidecar', image: 'side:v3' }, pod.spec.containers[0]] } }],
    ['$setElementOrder orders a primitive set', 'Pod', pod,
      { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } },
      { ...pod, metadata: { ...pod.metadata, finalizers: ['c', 'b', 'a'] } }],
    ['$setElementOrder keeps unnamed elements in place', 'Service',
      { spec: { ports: [{ port: 1 }, { port: 2 }, { port: 3 }] } },
      { spec: { '$setElementOrder/ports': [{ port: 3 }, { port: 1 }] } },
      { spec: { ports: [{ port: 3 }, { port: 2 }, { port: 1 }] } }],
    ['Deployment pod template containers merge by name', 'Deployment',
      { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } } },
      { spec: { replicas: 2, template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } },
      { spec: { replicas: 2, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] } } } }],
    ['DaemonSet pod template env merges by name', 'DaemonSet',
      { spec: { template: { spec: { containers: [{ name: 'z', env: [{ name: 'X', value: '1' }] }] } } } },
      { spec: { template: { spec: { containers: [{ name: 'z', env: [{ name: 'Y', value: '2' }] }] } } } },
      { spec: { template: { spec: { containers: [{ name: 'z', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] } } } }],
    ['Service ports merge by port', 'Service',
      { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443, targetPort: 8443 }] } }],
    ['lists of unknown kinds are replaced; finalizers still merge', 'HTTPRoute',
      { metadata: { finalizers: ['x'] }, spec: { rules: [{ a: 1 }, { a: 2 }] } },
      { metadata: { finalizers: ['y'] }, spec: { rules: [{ a: 3 }] } },
      { metadata: { finalizers: ['x', 'y'] }, spec: { rules: [{ a: 3 }] } }],
    ['scalars replace, maps merge, new subtrees drop nulls', 'Pod',
      { spec: { a: 1, m: { x: 1 } } },
      { spec: { a: 'two', m: { y: 2 }, n: { z: null, w: 1 } } },
      { spec: { a: 'two', m: { x: 1, y: 2 }, n: { w: 1 } } }],
  ];
  for (const [name, kind, original, patch, want] of cases) {
    deepFreeze(patch);
    const got = applyStrategicMergePatch(original, patch, kind);
    assert.deepEqual(got, JSON.parse(JSON.stringify(want)), name);
    assert.deepEqual(directivesIn(got), [], `${name}: no directives left`);
  }
});

test('a second kubectl apply (ports removed, image changed, order hinted) lands as expected', () => {
  const deployment = deepFreeze({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', annotations: { keep: 'me' } },
    spec: { template: { spec: { containers: [
      { name: 'app', image: 'app:v1', ports: [{ containerPort: 8080 }, { containerPort: 9090 }] },
    ] } } },
  });
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'app' }],
      containers: [{ '$setElementOrder/ports': [{ containerPort: 8080 }], image: 'app:v2', name: 'app',
        ports: [{ $patch: 'delete', containerPort: 9090 }] }],
    } } },
  };
  assert.deepEqual(applyStrategicMergePatch(deployment, patch, 'Deployment'), {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'app', annotations: { keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'app:v2', ports: [{ containerPort: 8080 }] }] } } },
  });
});

test('strategic merge patch rejects malformed patches', () => {
  const cases: Array<[string, unknown, number, string]> = [
    ['patch is not an object', [{ a: 1 }], 400, 'JSON object'],
    ['element without its merge key', { spec: { containers: [{ image: 'x' }] } }, 422, 'merge key "name"'],
    ['primitive in a keyed list', { spec: { containers: ['x'] } }, 422, 'spec.containers[0]'],
    ['unknown $patch directive', { metadata: { labels: { $patch: 'explode' } } }, 400, 'explode'],
    ['unknown $patch in list element', { spec: { volumes: [{ name: 'v', $patch: 'nope' }] } }, 400, 'nope'],
    ['$retainKeys not a list', { spec: { $retainKeys: 'a' } }, 400, '$retainKeys'],
    ['$deleteFromPrimitiveList not a list', { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }, 400, 'finalizers'],
    ['$setElementOrder not a list', { metadata: { '$setElementOrder/finalizers': 'a' } }, 400, 'finalizers'],
  ];
  for (const [name, patch, code, fragment] of cases) {
    assert.throws(() => applyStrategicMergePatch(pod, patch, 'Pod'), (err: unknown) => {
      assert.ok(err instanceof ApiError, name);
      assert.equal(err.code, code, `${name}: ${err.message}`);
      assert.ok(err.message.includes(fragment), `${name}: "${err.message}" should mention "${fragment}"`);
      return true;
    });
  }
});

test('strategic merge patch does not mutate or share its inputs', () => {
  const original = { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } };
  const before = JSON.parse(JSON.stringify(original)) as unknown;
  const got = applyStrategicMergePatch(original, { spec: { containers: [{ name: 'b' }] } }, 'Pod') as typeof original;
  got.spec.containers[0].env[0].value = 'changed';
  assert.deepEqual(original, before);
});

test('server-side apply merges the applied configuration over what exists', () => {
  const applied = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { a: '1' } },
    spec: { ports: [{ port: 80, targetPort: 8081 }] } };
  assert.deepEqual(applyApplyPatch(undefined, applied, 'Service'), applied, 'nothing exists yet');
  const existing = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', uid: 'u', labels: { b: '2' } },
    spec: { clusterIP: '198.19.0.10', ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
  assert.deepEqual(applyApplyPatch(existing, applied, 'Service'), {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', uid: 'u', labels: { b: '2', a: '1' } },
    spec: { clusterIP: '198.19.0.10', ports: [{ port: 80, targetPort: 8081 }, { port: 443 }] },
  });
  assert.throws(() => applyApplyPatch(existing, 'text', 'Service'), (e: unknown) => e instanceof ApiError && e.code === 400);
});
