// Unit tests of runtime names: cluster name rules, length limits, and unambiguous leftover matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeName, hostVethName, isClusterLink, isClusterNetns, nodeIndexOfNetns, nodeNetnsName, podNetnsName, podVethName, validateClusterName } from './names';

test('cluster names: short lower-case alphanumerics, not ending in n<digits>', () => {
  for (const ok of ['ambit', 'rtt4x9', 'a', 'abcdefgh', 'n', 'dev2']) assert.doesNotThrow(() => validateClusterName(ok));
  for (const bad of ['', 'Ambit', 'abcdefghi', '1abc', 'a-b', 'an1', 'clustern12', 'a.b']) assert.throws(() => validateClusterName(bad), /invalid/);
});

test('names fit the kernel limits (links 15, netns 32)', () => {
  const uid = '2f6c1c3e-8d2a-4b59-9f0e-6a1d2c3b4a5f';
  assert.ok(bridgeName('abcdefgh').length <= 15);
  assert.ok(hostVethName('abcdefgh', 100).length <= 15);
  assert.ok(podVethName(uid).length <= 15);
  assert.ok(nodeNetnsName('abcdefgh', 100).length <= 32);
  assert.ok(podNetnsName('abcdefgh', uid).length <= 32);
  assert.match(podVethName(uid), /^av[0-9a-f]{8}$/);
  assert.equal(podNetnsName('ambit', uid), podNetnsName('ambit', uid));
  assert.notEqual(podNetnsName('ambit', uid), podNetnsName('ambit', `${uid}x`));
});

test('leftover matching only claims names of its own cluster', () => {
  assert.equal(isClusterNetns('ab', 'ab-node3'), true);
  assert.equal(isClusterNetns('ab', podNetnsName('ab', 'u1')), true);
  assert.equal(isClusterNetns('ab', 'abc-node1'), false);
  assert.equal(isClusterNetns('ab', 'ab-other'), false);
  assert.equal(nodeIndexOfNetns('ab', 'ab-node12'), 12);
  assert.equal(nodeIndexOfNetns('ab', podNetnsName('ab', 'u1')), null);
  assert.equal(isClusterLink('ab', 'ab0'), true);
  assert.equal(isClusterLink('ab', 'abn7'), true);
  assert.equal(isClusterLink('ab', 'abc0'), false);
  assert.equal(isClusterLink('ab', 'ab10'), false);
  assert.equal(isClusterLink('a', 'ab0'), false);
});
