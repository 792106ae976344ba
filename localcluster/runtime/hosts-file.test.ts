// Unit tests of the hosts file and resolv.conf renderers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHostsFile, renderResolvConf } from './hosts-file';

const services = [
  { namespace: 'shop', name: 'web', clusterIP: '198.19.0.20' },
  { namespace: 'default', name: 'kubernetes', clusterIP: '198.19.0.1' },
  { namespace: 'shop', name: 'headless', clusterIP: 'None' },
  { namespace: 'shop', name: 'Bad Name', clusterIP: '198.19.0.21' },
];

test('a pod file names every Service, with bare names for its own namespace', () => {
  const text = renderHostsFile({ namespace: 'shop', hostname: 'web-0', ip: '198.18.1.5' }, services);
  const lines = text.trim().split('\n').filter((l) => !l.startsWith('#'));
  assert.deepEqual(lines, [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '198.18.1.5\tweb-0',
    '198.19.0.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default',
    '198.19.0.20\tweb.shop.svc.cluster.local web.shop.svc web.shop web',
  ]);
});

test('rendering does not depend on input order', () => {
  const target = { namespace: 'default', hostname: 'p', ip: '198.18.1.9' };
  assert.equal(renderHostsFile(target, services), renderHostsFile(target, [...services].reverse()));
});

test('a node file has no bare Service names', () => {
  const text = renderHostsFile({ namespace: null, hostname: 'ambit-node1', ip: '198.18.0.11' }, services);
  assert.match(text, /^198\.19\.0\.20\tweb\.shop\.svc\.cluster\.local web\.shop\.svc web\.shop$/m);
  assert.match(text, /^198\.18\.0\.11\tambit-node1$/m);
});

test('resolv.conf has the Kubernetes search path and no nameserver', () => {
  const text = renderResolvConf('shop');
  assert.match(text, /^search shop\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
  assert.match(text, /^options ndots:5 timeout:1 attempts:1$/m);
  assert.doesNotMatch(text, /nameserver/);
  assert.match(renderResolvConf(null), /^search svc\.cluster\.local cluster\.local$/m);
});
