// Unit tests for istiod's configuration: defaults, overrides, duration forms, and every bad
// variable reported together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../pkg/errors/mesh-error';
import { loadConfig, parseByteSize, parseDurationMs, parseDurationSeconds, parseListenAddress } from './config';

test('defaults match Istio', () => {
  const c = loadConfig({});
  assert.equal(c.trustDomain, 'cluster.local');
  assert.equal(c.namespace, 'istio-system');
  assert.equal(c.grpcHost, '0.0.0.0');
  assert.equal(c.grpcPort, 15012);
  assert.deepEqual(c.kube, { kind: 'in-cluster' });
  assert.equal(c.defaultWorkloadCertTtlSeconds, 86400);
  assert.equal(c.maxWorkloadCertTtlSeconds, 90 * 86400);
  assert.deepEqual(c.trustedNodeAccounts, [{ namespace: 'istio-system', serviceAccount: 'ztunnel' }]);
  assert.equal(c.selfSignedRootTtlSeconds, 3650 * 86400);
  assert.equal(c.tokenAudience, 'istio-ca');
  assert.equal(c.clusterId, 'Kubernetes');
  assert.equal(c.monitoringHost, '0.0.0.0');
  assert.equal(c.monitoringPort, 15014);
  assert.equal(c.debounceAfterMs, 100);
  assert.equal(c.debounceMaxMs, 1000);
  assert.equal(c.xdsMaxReceiveMessageBytes, 16 * 1024 * 1024);
  assert.equal(c.xdsMaxSendMessageBytes, 200 * 1024 * 1024);
  assert.equal(c.pathNormalization, 'DECODE_AND_MERGE_SLASHES');
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.trustedNodeAccounts));
});

test('overrides are read from the environment', () => {
  const c = loadConfig({
    TRUST_DOMAIN: 'example.org', POD_NAMESPACE: 'mesh', ISTIOD_GRPC_ADDRESS: '127.0.0.1:0', KUBECONFIG: '/tmp/kc.yaml',
    DEFAULT_WORKLOAD_CERT_TTL: '1h30m', MAX_WORKLOAD_CERT_TTL: '2160h',
    CA_TRUSTED_NODE_ACCOUNTS: 'mesh/ztunnel, kube-system/node-agent',
  });
  assert.equal(c.trustDomain, 'example.org');
  assert.equal(c.namespace, 'mesh');
  assert.equal(c.grpcHost, '127.0.0.1');
  assert.equal(c.grpcPort, 0);
  assert.deepEqual(c.kube, { kind: 'kubeconfig', path: '/tmp/kc.yaml' });
  assert.equal(c.defaultWorkloadCertTtlSeconds, 5400);
  assert.equal(c.maxWorkloadCertTtlSeconds, 2160 * 3600);
  assert.deepEqual(c.trustedNodeAccounts.map((a) => `${a.namespace}/${a.serviceAccount}`), ['mesh/ztunnel', 'kube-system/node-agent']);
});

test('an explicitly empty trusted account list trusts no node agent', () => {
  assert.deepEqual(loadConfig({ CA_TRUSTED_NODE_ACCOUNTS: '' }).trustedNodeAccounts, []);
});

test('durations: Go-style strings and plain seconds', () => {
  const cases: Array<[string, number | undefined]> = [
    ['24h', 86400], ['90m', 5400], ['30s', 30], ['3600', 3600], ['1h30m15s', 5415], ['1.5h', 5400], ['90d', 90 * 86400],
    ['1500ms', 1], ['0', undefined], ['500ms', undefined], ['', undefined], ['h', undefined], ['10 h', undefined],
    ['-5s', undefined], ['1y', undefined], ['12', 12],
  ];
  for (const [text, want] of cases) assert.equal(parseDurationSeconds(text), want, text);
});

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:15012'), { host: '0.0.0.0', port: 15012 });
  assert.deepEqual(parseListenAddress(':15012'), { host: '0.0.0.0', port: 15012 });
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListenAddress('localhost:15012'), { host: 'localhost', port: 15012 });
  assert.equal(parseListenAddress('15012'), undefined);
  assert.equal(parseListenAddress('host:99999'), undefined);
  assert.equal(parseListenAddress('::1:15012'), undefined);
});

test('every bad variable is reported in one error', () => {
  try {
    loadConfig({
      TRUST_DOMAIN: 'Bad_Domain:80', POD_NAMESPACE: 'Not A Namespace', ISTIOD_GRPC_ADDRESS: 'nowhere',
      DEFAULT_WORKLOAD_CERT_TTL: 'forever', MAX_WORKLOAD_CERT_TTL: '1y', CA_TRUSTED_NODE_ACCOUNTS: 'istio-system/ztunnel,justname,a/b/c',
    });
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(isMeshError(err, 'InvalidArgument'));
    for (const name of ['TRUST_DOMAIN', 'POD_NAMESPACE', 'ISTIOD_GRPC_ADDRESS', 'DEFAULT_WORKLOAD_CERT_TTL', 'MAX_WORKLOAD_CERT_TTL', 'CA_TRUSTED_NODE_ACCOUNTS']) {
      assert.match(err.message, new RegExp(name), name);
    }
    assert.match(err.message, /"justname", "a\/b\/c"/);
  }
});

test('a default TTL above the maximum is refused', () => {
  assert.throws(() => loadConfig({ DEFAULT_WORKLOAD_CERT_TTL: '48h', MAX_WORKLOAD_CERT_TTL: '24h' }),
    /DEFAULT_WORKLOAD_CERT_TTL \(172800s\) is longer than MAX_WORKLOAD_CERT_TTL \(86400s\)/);
});

test('xDS settings: monitoring address, debounce, message sizes', () => {
  const c = loadConfig({
    CLUSTER_ID: 'east-1', MONITORING_ADDRESS: '127.0.0.1:9914', PILOT_DEBOUNCE_AFTER: '50ms', PILOT_DEBOUNCE_MAX: '2000', XDS_MAX_RECEIVE_MESSAGE_SIZE: '4MiB',
    XDS_MAX_SEND_MESSAGE_SIZE: '104857600',
  });
  assert.equal(c.clusterId, 'east-1');
  assert.deepEqual([c.monitoringHost, c.monitoringPort], ['127.0.0.1', 9914]);
  assert.deepEqual([c.debounceAfterMs, c.debounceMaxMs], [50, 2000]);
  assert.deepEqual([c.xdsMaxReceiveMessageBytes, c.xdsMaxSendMessageBytes], [4 * 1024 * 1024, 100 * 1024 * 1024]);
});

test('an ephemeral gRPC port gives an ephemeral monitoring port unless one is named', () => {
  const c = loadConfig({ ISTIOD_GRPC_ADDRESS: '127.0.0.1:0' });
  assert.deepEqual([c.monitoringHost, c.monitoringPort], ['127.0.0.1', 0]);
  const v6 = loadConfig({ ISTIOD_GRPC_ADDRESS: '[::1]:0' });
  assert.deepEqual([v6.monitoringHost, v6.monitoringPort], ['::1', 0]);
  assert.equal(loadConfig({ ISTIOD_GRPC_ADDRESS: '127.0.0.1:0', MONITORING_ADDRESS: ':15014' }).monitoringPort, 15014);
});

test('millisecond durations and byte sizes', () => {
  const ms: Array<[string, number | undefined]> = [
    ['100', 100], ['100ms', 100], ['1s', 1000], ['1.5s', 1500], ['0', 0], ['1m', 60_000], ['-1', undefined], ['fast', undefined], ['1d', undefined],
  ];
  for (const [text, want] of ms) assert.equal(parseDurationMs(text), want, text);
  const sizes: Array<[string, number | undefined]> = [
    ['65536', 65536], ['16MiB', 16 * 1024 * 1024], ['64KiB', 65536], ['10MB', 10_000_000], ['1GiB', undefined], ['lots', undefined], ['-5', undefined],
  ];
  for (const [text, want] of sizes) assert.equal(parseByteSize(text), want, text);
});

test('bad xDS settings are reported together', () => {
  assert.throws(() => loadConfig({
    CLUSTER_ID: 'a/b', MONITORING_ADDRESS: 'everywhere', PILOT_DEBOUNCE_AFTER: '2s', PILOT_DEBOUNCE_MAX: '1s', XDS_MAX_RECEIVE_MESSAGE_SIZE: '1KiB',
    XDS_MAX_SEND_MESSAGE_SIZE: '1000MiB',
  }), (err: unknown) => {
    assert.ok(isMeshError(err, 'InvalidArgument'));
    for (const text of ['CLUSTER_ID="a/b"', 'MONITORING_ADDRESS', 'PILOT_DEBOUNCE_AFTER (2000ms) is longer than PILOT_DEBOUNCE_MAX (1000ms)',
      'XDS_MAX_RECEIVE_MESSAGE_SIZE="1KiB"', 'XDS_MAX_SEND_MESSAGE_SIZE="1000MiB"']) {
      assert.ok(err.message.includes(text), text);
    }
    return true;
  });
});

test('PATH_NORMALIZATION takes Istio\'s mode names and refuses anything else', () => {
  for (const mode of ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES']) {
    assert.equal(loadConfig({ PATH_NORMALIZATION: mode }).pathNormalization, mode);
  }
  assert.equal(loadConfig({ PATH_NORMALIZATION: ' BASE ' }).pathNormalization, 'BASE');
  assert.equal(loadConfig({ PATH_NORMALIZATION: '' }).pathNormalization, 'DECODE_AND_MERGE_SLASHES');
  for (const bad of ['base', 'DEFAULT', 'merge-slashes']) {
    assert.throws(() => loadConfig({ PATH_NORMALIZATION: bad, CLUSTER_ID: 'a/b' }), (err: unknown) => {
      assert.ok(isMeshError(err, 'InvalidArgument'));
      assert.ok(err.message.includes(`PATH_NORMALIZATION="${bad}": not one of NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES`), err.message);
      assert.ok(err.message.includes('CLUSTER_ID'), 'reported with the other problems');
      return true;
    });
  }
});
