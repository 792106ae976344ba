// Container bind mounts, decided before anything runs: checked paths (absolute, no `..`, not `/`,
// nothing under /proc, /sys or /dev), parents mounted before children, the service-account
// shorthand, and the argv handed to `ip netns exec`. (Mounting itself: test/netns.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgs, planBindMounts } from './processes';
import { mountPathProblem } from './sa-mountpoint';

test('mount paths: absolute, no .., not /, not under /proc, /sys or /dev', () => {
  assert.equal(mountPathProblem('/var/run/secrets/tokens'), undefined);
  assert.equal(mountPathProblem('/devices'), undefined, 'only /dev itself and below are refused');
  assert.equal(mountPathProblem('tokens'), 'must be an absolute path');
  assert.equal(mountPathProblem(''), 'must not be empty');
  assert.equal(mountPathProblem('/'), "must not be '/'");
  assert.equal(mountPathProblem('//'), "must not be '/'");
  assert.equal(mountPathProblem('/a/../b'), "must not contain '..'");
  assert.equal(mountPathProblem('/proc'), 'must not be /proc or under it');
  assert.equal(mountPathProblem('/sys/fs/cgroup'), 'must not be /sys or under it');
  assert.equal(mountPathProblem('/dev//shm/'), 'must not be /dev or under it');
  assert.equal(mountPathProblem('/a\nb'), 'must not contain control characters');
});

test('bind mounts are ordered parents first, with the service-account directory as a read-only mount', () => {
  const mounts = planBindMounts({
    mounts: [
      { hostDir: '/state/pods/u/volumes/istio-token', mountPath: '/var/run/secrets/tokens/', readOnly: true },
      { hostDir: '/state/pods/u/volumes/scratch', mountPath: '/var/run', readOnly: false },
    ],
    serviceAccountDir: '/state/pods/u/serviceaccount',
  });
  assert.deepEqual(mounts, [
    { hostDir: '/state/pods/u/volumes/scratch', mountPath: '/var/run', readOnly: false },
    { hostDir: '/state/pods/u/volumes/istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
    { hostDir: '/state/pods/u/serviceaccount', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
  ]);
  assert.deepEqual(containerArgs('ns1', mounts.slice(0, 1), ['node', 'main.js']).slice(0, 3), ['netns', 'exec', 'ns1']);
  assert.deepEqual(containerArgs('ns1', mounts.slice(0, 1), ['node', 'main.js']).slice(-6),
    ['1', '/state/pods/u/volumes/scratch', '/var/run', 'rw', 'node', 'main.js']);
  assert.deepEqual(containerArgs('ns1', [], ['sh']).slice(-2), ['0', 'sh']);
});

test('bad or duplicate mounts are refused before anything runs', () => {
  const one = (hostDir: string, mountPath: string) => () => planBindMounts({ mounts: [{ hostDir, mountPath, readOnly: true }] });
  assert.throws(one('/x', '/proc/1'), /mount path "\/proc\/1" must not be \/proc or under it/);
  assert.throws(one('/x', '/'), /must not be '\/'/);
  assert.throws(one('relative', '/ok'), /host directory "relative" for \/ok must be an absolute path/);
  assert.throws(one('/a/../etc', '/ok'), /must not contain '\.\.'/);
  assert.throws(() => planBindMounts({
    mounts: [{ hostDir: '/a', mountPath: '/m', readOnly: true }, { hostDir: '/b', mountPath: '/m/', readOnly: false }],
  }), /two mounts at \/m/);
});
