// ztunnel's environment: defaults, every variable read, every bad value reported in one error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../pkg/errors/mesh-error';
import { loadConfig } from './config';
import { parseDialAddress, parseDurationMs, parseListenAddress } from './config-parse';

const base = { NODE_NAME: 'node1', INSTANCE_IP: '198.18.0.11' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(isMeshError(err, 'InvalidArgument'), `expected InvalidArgument, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected loadConfig to throw');
}

test('defaults follow Istio\'s ztunnel', () => {
  const c = loadConfig(base);
  assert.equal(c.nodeName, 'node1');
  assert.equal(c.nodeIP, '198.18.0.11');
  assert.equal(c.podName, 'ztunnel');
  assert.equal(c.podNamespace, 'istio-system');
  assert.equal(c.xdsAddress, 'istiod.istio-system.svc:15012');
  assert.equal(c.caAddress, 'istiod.istio-system.svc:15012');
  assert.equal(c.xdsServerName, 'istiod.istio-system.svc');
  assert.equal(c.trustDomain, 'cluster.local');
  assert.equal(c.clusterId, 'Kubernetes');
  assert.equal(c.rootCertPath, '/var/run/secrets/istio/root-cert.pem');
  assert.equal(c.tokenPath, '/var/run/secrets/tokens/istio-token');
  assert.equal(c.capture, 'tproxy');
  assert.equal(c.hostProbeSources, 'default-gateway');
  assert.equal(c.listenHost, '0.0.0.0');
  assert.deepEqual(c.ports, { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 });
  assert.equal(c.hbonePort, 15008);
  assert.deepEqual(c.adminAddress, { host: '127.0.0.1', port: 15000 });
  assert.deepEqual(c.statsAddress, { host: '0.0.0.0', port: 15020 });
  assert.deepEqual(c.readinessAddress, { host: '0.0.0.0', port: 15021 });
  assert.equal(c.secretTtlSeconds, 86_400);
  assert.equal(c.drainTimeoutMs, 5000);
  assert.equal(c.connectTimeoutMs, 10_000);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.ports) && Object.isFrozen(c.adminAddress));
});

test('every variable is read', () => {
  const c = loadConfig({
    ...base,
    POD_NAME: 'ztunnel-abcde', POD_NAMESPACE: 'mesh', XDS_ADDRESS: 'https://istiod.mesh.svc:15012', CA_ADDRESS: '198.18.0.2:15013',
    XDS_SERVER_NAME: 'istiod.mesh.svc', TRUST_DOMAIN: 'example.org', CLUSTER_ID: 'east', ROOT_CERT_PATH: '/tmp/root.pem',
    TOKEN_PATH: '/tmp/token', CAPTURE: 'none', LISTEN_HOST: '127.0.0.1', OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0',
    INBOUND_PORT: '0', HBONE_PORT: '25008', ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '[::1]:0', READINESS_ADDRESS: ':0',
    UNSTABLE_ENABLE_SOCKS5: 'true', SOCKS5_PORT: '0', SECRET_TTL: '1h30m', DRAIN_TIMEOUT: '250ms', CONNECT_TIMEOUT: '3',
  });
  assert.equal(c.podName, 'ztunnel-abcde');
  assert.equal(c.podNamespace, 'mesh');
  assert.equal(c.xdsAddress, 'istiod.mesh.svc:15012');
  assert.equal(c.caAddress, '198.18.0.2:15013');
  assert.equal(c.xdsServerName, 'istiod.mesh.svc');
  assert.equal(c.trustDomain, 'example.org');
  assert.equal(c.clusterId, 'east');
  assert.equal(c.rootCertPath, '/tmp/root.pem');
  assert.equal(c.tokenPath, '/tmp/token');
  assert.equal(c.capture, 'none');
  assert.equal(c.listenHost, '127.0.0.1');
  assert.deepEqual(c.ports, { outbound: 0, inboundPlaintext: 0, inbound: 0, socks5: 0 });
  assert.equal(c.hbonePort, 25008);
  assert.deepEqual(c.statsAddress, { host: '::1', port: 0 });
  assert.deepEqual(c.readinessAddress, { host: '0.0.0.0', port: 0 });
  assert.equal(c.secretTtlSeconds, 5400);
  assert.equal(c.drainTimeoutMs, 250);
  assert.equal(c.connectTimeoutMs, 3000);
});

test('CA_ADDRESS follows XDS_ADDRESS; CONNECTION_TERMINATION_DEADLINE is the drain timeout too', () => {
  const c = loadConfig({ ...base, XDS_ADDRESS: '198.18.0.2:15012', CONNECTION_TERMINATION_DEADLINE: '0s', SECRET_TTL: '3600' });
  assert.equal(c.caAddress, '198.18.0.2:15012');
  assert.equal(c.drainTimeoutMs, 0);
  assert.equal(c.secretTtlSeconds, 3600);
  assert.equal(loadConfig({ ...base, UNSTABLE_ENABLE_SOCKS5: 'false' }).ports.socks5, undefined);
  assert.equal(loadConfig({ ...base, UNSTABLE_ENABLE_SOCKS5: 'true' }).ports.socks5, 15080);
});

test('every problem is reported at once, naming the variable and the value', () => {
  const message = problemsOf({
    INSTANCE_IP: 'node-ip', POD_NAMESPACE: 'Bad_NS', XDS_ADDRESS: 'istiod', CA_ADDRESS: 'ca:99999', TRUST_DOMAIN: 'Cluster.Local',
    CLUSTER_ID: 'has space', CAPTURE: 'iptables', LISTEN_HOST: 'everywhere', OUTBOUND_PORT: '70000', INBOUND_PORT: 'x',
    HBONE_PORT: '0', ADMIN_ADDRESS: 'localhost', UNSTABLE_ENABLE_SOCKS5: 'maybe', SECRET_TTL: '0s', DRAIN_TIMEOUT: '5 seconds',
    CONNECT_TIMEOUT: '-1', POD_NAME: 'UPPER',
  });
  for (const fragment of [
    'NODE_NAME is required', 'INSTANCE_IP="node-ip"', 'POD_NAMESPACE="Bad_NS"', 'XDS_ADDRESS="istiod"', 'CA_ADDRESS="ca:99999"',
    'TRUST_DOMAIN="Cluster.Local"', 'CLUSTER_ID="has space"', 'CAPTURE="iptables"', 'LISTEN_HOST="everywhere"', 'OUTBOUND_PORT="70000"',
    'INBOUND_PORT="x"', 'HBONE_PORT=0', 'ADMIN_ADDRESS="localhost"', 'UNSTABLE_ENABLE_SOCKS5="maybe"', 'SECRET_TTL="0s"',
    'DRAIN_TIMEOUT="5 seconds"', 'CONNECT_TIMEOUT="-1"', 'POD_NAME="UPPER"',
  ]) {
    assert.ok(message.includes(fragment), `missing ${fragment} in: ${message}`);
  }
  assert.match(message, /^invalid ztunnel configuration: /);
});

test('missing NODE_NAME and INSTANCE_IP are both named', () => {
  const message = problemsOf({});
  assert.match(message, /NODE_NAME is required/);
  assert.match(message, /INSTANCE_IP is required/);
});

test('two listeners on one port and disagreeing drain settings are refused', () => {
  const message = problemsOf({ ...base, STATS_ADDRESS: '0.0.0.0:15001', CONNECTION_TERMINATION_DEADLINE: '5s', DRAIN_TIMEOUT: '10s' });
  assert.match(message, /OUTBOUND_PORT, STATS_ADDRESS all use port 15001/);
  assert.match(message, /CONNECTION_TERMINATION_DEADLINE and DRAIN_TIMEOUT are both set and disagree/);
  // Port 0 never conflicts (tests use it everywhere); SOCKS5_PORT only counts when SOCKS5 is on.
  assert.doesNotThrow(() => loadConfig({ ...base, OUTBOUND_PORT: '0', INBOUND_PORT: '0', SOCKS5_PORT: '15001' }));
});

test('duration, dial and listen address parsers', () => {
  assert.equal(parseDurationMs('24h'), 86_400_000);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('0.5'), 500);
  assert.equal(parseDurationMs('10'), 10_000);
  for (const badValue of ['', 's', '1d', '-5s', '5 s', '1e3', '99999999999999h']) assert.equal(parseDurationMs(badValue), undefined, badValue);
  assert.deepEqual(parseDialAddress('[fd00::1]:15012'), { host: 'fd00::1', port: 15012 });
  assert.deepEqual(parseDialAddress('https://istiod:15012/'), { host: 'istiod', port: 15012 });
  for (const badValue of ['istiod', 'istiod:0', ':15012', 'a b:1', 'host:1:2']) assert.equal(parseDialAddress(badValue), undefined, badValue);
  assert.deepEqual(parseListenAddress('localhost:15000'), { host: 'localhost', port: 15000 });
  for (const badValue of ['example.com:1', '127.0.0.1', '127.0.0.1:65536']) assert.equal(parseListenAddress(badValue), undefined, badValue);
});

test('HOST_PROBE_SOURCES: default-gateway, none, or IPv4 addresses/CIDRs; anything else is reported', () => {
  assert.equal(loadConfig({ ...base, HOST_PROBE_SOURCES: 'Default-Gateway' }).hostProbeSources, 'default-gateway');
  assert.deepEqual(loadConfig({ ...base, HOST_PROBE_SOURCES: 'none' }).hostProbeSources, []);
  const list = loadConfig({ ...base, HOST_PROBE_SOURCES: '198.18.0.1, 198.18.128.9/24,198.18.0.1/32' }).hostProbeSources;
  assert.deepEqual(list, ['198.18.0.1/32', '198.18.128.0/24']);
  assert.ok(Object.isFrozen(list));
  assert.match(problemsOf({ ...base, HOST_PROBE_SOURCES: '198.18.0.1,fd00::1' }), /HOST_PROBE_SOURCES="198\.18\.0\.1,fd00::1": "fd00::1" is not an IPv4 address or CIDR/);
  assert.match(problemsOf({ ...base, HOST_PROBE_SOURCES: '198.18.0.0/33' }), /HOST_PROBE_SOURCES=.*is not an IPv4 address or CIDR/);
});
