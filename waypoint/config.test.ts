// loadConfig: the defaults istiod's waypoint Deployment relies on, every variable read, and every
// bad variable reported in one error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeshError } from '../pkg/errors/mesh-error';
import { loadConfig, parseDurationMs, parseListenAddress } from './config';

const BASE = { POD_NAME: 'waypoint-7d9f-x2', POD_NAMESPACE: 'shop', INSTANCE_IP: '198.18.1.20', SERVICE_ACCOUNT: 'waypoint' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(isMeshError(err, 'InvalidArgument'));
    return err.message;
  }
  assert.fail('expected loadConfig to throw');
}

test('defaults: Istio ports, istiod addresses, the waypoint identity and its config name', () => {
  const c = loadConfig(BASE);
  assert.equal(c.podName, 'waypoint-7d9f-x2');
  assert.equal(c.podNamespace, 'shop');
  assert.equal(c.instanceIP, '198.18.1.20');
  assert.equal(c.serviceAccount, 'waypoint');
  assert.equal(c.gatewayName, 'waypoint');
  assert.equal(c.configName, 'shop/waypoint');
  assert.equal(c.identity, 'spiffe://cluster.local/ns/shop/sa/waypoint');
  assert.equal(c.xdsAddress, 'istiod.istio-system.svc:15012');
  assert.equal(c.caAddress, 'istiod.istio-system.svc:15012');
  assert.equal(c.xdsServerName, 'istiod.istio-system.svc');
  assert.equal(c.clusterId, 'Kubernetes');
  assert.equal(c.rootCertPath, '/var/run/secrets/istio/root-cert.pem');
  assert.equal(c.tokenPath, '/var/run/secrets/tokens/istio-token');
  assert.equal(c.listenHost, '0.0.0.0');
  assert.equal(c.hbonePort, 15008);
  assert.equal(c.upstreamHbonePort, 15008);
  assert.deepEqual(c.adminAddress, { host: '127.0.0.1', port: 15000 });
  assert.deepEqual(c.statsAddress, { host: '0.0.0.0', port: 15020 });
  assert.deepEqual(c.readinessAddress, { host: '0.0.0.0', port: 15021 });
  assert.equal(c.drainTimeoutMs, 5000);
  assert.equal(c.connectTimeoutMs, 10_000);
  assert.equal(c.secretTtlSeconds, 86_400);
  assert.ok(Object.isFrozen(c));
});

test('every variable is read', () => {
  const c = loadConfig({
    ...BASE,
    GATEWAY_NAME: 'reviews-wp',
    XDS_ADDRESS: 'https://istiod.mesh.svc:15012/',
    CA_ADDRESS: '198.18.0.5:15012',
    XDS_SERVER_NAME: 'istiod.mesh.svc',
    TRUST_DOMAIN: 'example.org',
    CLUSTER_ID: 'east',
    ROOT_CERT_PATH: '/tmp/root.pem',
    TOKEN_PATH: '/tmp/token',
    LISTEN_HOST: '127.0.0.1',
    HBONE_PORT: '0',
    UPSTREAM_HBONE_PORT: '25008',
    ADMIN_ADDRESS: '127.0.0.1:0',
    STATS_ADDRESS: ':9020',
    READINESS_ADDRESS: '127.0.0.1:9021',
    DRAIN_TIMEOUT: '250ms',
    CONNECT_TIMEOUT: '1.5',
    SECRET_TTL: '1h',
  });
  assert.equal(c.gatewayName, 'reviews-wp');
  assert.equal(c.configName, 'shop/reviews-wp');
  assert.equal(c.identity, 'spiffe://example.org/ns/shop/sa/waypoint');
  assert.equal(c.xdsAddress, 'istiod.mesh.svc:15012');
  assert.equal(c.caAddress, '198.18.0.5:15012');
  assert.equal(c.xdsServerName, 'istiod.mesh.svc');
  assert.equal(c.trustDomain, 'example.org');
  assert.equal(c.clusterId, 'east');
  assert.equal(c.rootCertPath, '/tmp/root.pem');
  assert.equal(c.tokenPath, '/tmp/token');
  assert.equal(c.listenHost, '127.0.0.1');
  assert.equal(c.hbonePort, 0);
  assert.equal(c.upstreamHbonePort, 25008);
  assert.deepEqual(c.adminAddress, { host: '127.0.0.1', port: 0 });
  assert.deepEqual(c.statsAddress, { host: '0.0.0.0', port: 9020 });
  assert.deepEqual(c.readinessAddress, { host: '127.0.0.1', port: 9021 });
  assert.equal(c.drainTimeoutMs, 250);
  assert.equal(c.connectTimeoutMs, 1500);
  assert.equal(c.secretTtlSeconds, 3600);
});

test('CA_ADDRESS follows XDS_ADDRESS when unset', () => {
  const c = loadConfig({ ...BASE, XDS_ADDRESS: '127.0.0.1:25012' });
  assert.equal(c.caAddress, '127.0.0.1:25012');
});

test('missing required variables are all named', () => {
  const message = problemsOf({});
  for (const name of ['POD_NAME', 'POD_NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'GATEWAY_NAME']) {
    assert.match(message, new RegExp(`${name} is required`));
  }
});

test('every bad variable is reported at once, with its value and why', () => {
  const message = problemsOf({
    POD_NAME: 'Bad_Pod',
    POD_NAMESPACE: 'Shop',
    INSTANCE_IP: '198.18.1',
    SERVICE_ACCOUNT: 'wp!',
    GATEWAY_NAME: '-gw',
    XDS_ADDRESS: 'istiod',
    CA_ADDRESS: 'ca:0',
    XDS_SERVER_NAME: 'istiod:15012',
    TRUST_DOMAIN: 'Cluster.Local',
    CLUSTER_ID: 'a b',
    LISTEN_HOST: 'localhost',
    HBONE_PORT: '70000',
    UPSTREAM_HBONE_PORT: '0',
    ADMIN_ADDRESS: 'localhost',
    STATS_ADDRESS: '1.2.3.4:99999',
    READINESS_ADDRESS: 'x:15021',
    DRAIN_TIMEOUT: 'soon',
    CONNECT_TIMEOUT: '0s',
    SECRET_TTL: '10ms',
  });
  const expected = ['POD_NAME="Bad_Pod"', 'POD_NAMESPACE="Shop"', 'INSTANCE_IP="198.18.1"', 'SERVICE_ACCOUNT="wp!"', 'GATEWAY_NAME="-gw"',
    'XDS_ADDRESS="istiod"', 'CA_ADDRESS="ca:0"', 'XDS_SERVER_NAME=', 'TRUST_DOMAIN=', 'CLUSTER_ID="a b"', 'LISTEN_HOST="localhost"',
    'HBONE_PORT="70000"', 'UPSTREAM_HBONE_PORT="0"', 'ADMIN_ADDRESS="localhost"', 'STATS_ADDRESS=', 'READINESS_ADDRESS=', 'DRAIN_TIMEOUT="soon"',
    'CONNECT_TIMEOUT="0s"', 'SECRET_TTL="10ms"'];
  for (const part of expected) assert.ok(message.includes(part), `${part} missing from: ${message}`);
  assert.match(message, /^invalid waypoint configuration: /);
});

test('two listeners on one port are refused', () => {
  const message = problemsOf({ ...BASE, HBONE_PORT: '15020' });
  assert.match(message, /HBONE_PORT, STATS_ADDRESS all use port 15020/);
});

test('durations and listen addresses parse like ztunnel\'s', () => {
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('0.5'), 500);
  assert.equal(parseDurationMs('-1s'), undefined);
  assert.deepEqual(parseListenAddress('[::1]:15000'), { host: '::1', port: 15000 });
  assert.equal(parseListenAddress('example.com:80'), undefined);
});
