// TCP telemetry: the Istio label set from workloads and from peer baggage, counters per connection
// (opened, closed, bytes, failed with a response flag), the access-log line on close with the
// authorization outcome, and the authorization decision counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBaggage } from '../../pkg/hbone/headers';
import { spiffeId } from '../../pkg/identity/spiffe';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { testService, testWorkload } from '../proxy/test-state';
import { workloadBaggage } from '../proxy/workload-info';
import { formatAccessLog } from './access-log';
import { AuthorizationMetrics } from './authz-metrics';
import { RESPONSE_FLAGS, baggageMeta, tcpLabels, workloadMeta } from './labels';
import { TcpTelemetry } from './tcp-metrics';

const client = testWorkload({ name: 'productpage-v1-abc', workloadName: 'productpage-v1', canonicalName: 'productpage', canonicalRevision: 'v1', addresses: ['198.18.1.5'], node: 'node-a' });
const server = testWorkload({ name: 'reviews-v2-xyz', workloadName: 'reviews-v2', canonicalName: 'reviews', canonicalRevision: 'v2', addresses: ['198.18.2.7'], node: 'node-b' });
const reviews = testService({ name: 'reviews', addresses: [], ports: [] });

test('labels name both workloads, principals, the service and mTLS; unknown elsewhere', () => {
  const labels = tcpLabels({
    reporter: 'source',
    source: workloadMeta(client),
    sourcePrincipal: spiffeId('cluster.local', 'shop', 'productpage'),
    destination: workloadMeta(server),
    destinationPrincipal: spiffeId('cluster.local', 'shop', 'reviews'),
    service: reviews,
    mtls: true,
  });
  assert.equal(labels.source_workload, 'productpage-v1');
  assert.equal(labels.source_app, 'productpage');
  assert.equal(labels.destination_version, 'v2');
  assert.equal(labels.source_principal, 'spiffe://cluster.local/ns/shop/sa/productpage');
  assert.equal(labels.destination_service, 'reviews.shop.svc.cluster.local');
  assert.equal(labels.connection_security_policy, 'mutual_tls');
  assert.equal(labels.response_flags, '-');
  const bare = tcpLabels({ reporter: 'destination', source: workloadMeta(undefined), destination: workloadMeta(server), mtls: false });
  assert.equal(bare.source_workload, 'unknown');
  assert.equal(bare.destination_service, 'unknown');
  assert.equal(bare.connection_security_policy, 'unknown');
});

test('baggage a workload sends reads back as the same metadata', () => {
  const meta = baggageMeta(parseBaggage(workloadBaggage(client)));
  assert.deepEqual(meta, workloadMeta(client));
});

test('a connection counts opened, closed and bytes; a failure also counts failed with its flag', () => {
  const registry = new Registry();
  const logger = memoryLogger();
  const telemetry = new TcpTelemetry(registry, logger);
  const labels = tcpLabels({ reporter: 'source', source: workloadMeta(client), destination: workloadMeta(server), mtls: true });
  const ok = telemetry.open(labels, { srcAddr: '198.18.1.5:40000', dstAddr: '198.18.2.7:15008', direction: 'outbound' });
  ok.finish({ received: 10, sent: 20 });
  ok.finish({ received: 99, sent: 99 }); // idempotent
  const bad = telemetry.open(labels, { srcAddr: '198.18.1.5:40001', dstAddr: '198.18.2.7:15008', direction: 'outbound' });
  bad.finish({ received: 0, sent: 0, error: 'refused', flag: RESPONSE_FLAGS.connect });
  const text = registry.render();
  assert.match(text, /istio_tcp_connections_opened_total\{reporter="source",source_workload="productpage-v1",[^}]*\} 2/);
  assert.match(text, /istio_tcp_connections_closed_total\{[^}]*\} 2/);
  assert.match(text, /istio_tcp_received_bytes_total\{[^}]*\} 10/);
  assert.match(text, /istio_tcp_sent_bytes_total\{[^}]*\} 20/);
  assert.match(text, /istio_tcp_connections_failed_total\{[^}]*response_flags="CONNECT"[^}]*\} 1/);
  assert.equal(logger.lines.length, 2);
  assert.match(logger.lines[0]!, /^info connection complete src\.addr=198\.18\.1\.5:40000 dst\.addr=198\.18\.2\.7:15008 direction="outbound" bytes_sent=10 bytes_recv=20 duration="\d+ms"$/);
  assert.match(logger.lines[1]!, /error="refused"$/);
});

test('peer-supplied text in the access log is quoted', () => {
  const line = formatAccessLog({ srcAddr: '[fd00::5]:1', dstAddr: '198.18.2.7:80', dstService: 'a b"c', direction: 'inbound' }, { bytesSent: 1, bytesRecv: 2, durationMs: 3.4, error: 'x\ny' });
  assert.equal(line, 'connection complete src.addr=[fd00::5]:1 dst.addr=198.18.2.7:80 dst.service="a b\\"c" direction="inbound" bytes_sent=1 bytes_recv=2 duration="3ms" error="x\\ny"');
});

test('the access-log line carries the authorization outcome; the latest verdict (a re-check) wins', () => {
  const registry = new Registry();
  const logger = memoryLogger();
  const telemetry = new TcpTelemetry(registry, logger);
  const labels = tcpLabels({ reporter: 'destination', source: workloadMeta(client), destination: workloadMeta(server), mtls: true });
  const fields = { srcAddr: '198.18.1.5:40000', dstAddr: '198.18.2.7:9080', direction: 'inbound' } as const;
  const rechecked = telemetry.open(labels, fields);
  rechecked.authorized({ result: 'allow', policy: 'shop/web' });
  rechecked.authorized({ result: 'deny', policy: 'shop/block' });
  rechecked.finish({ received: 3, sent: 4, error: 'no longer allowed' });
  rechecked.authorized({ result: 'allow' }); // after finish: ignored
  const plain = telemetry.open(labels, fields);
  plain.finish({ received: 0, sent: 0 });
  assert.match(logger.lines[0]!, / bytes_sent=3 bytes_recv=4 duration="\d+ms" authz\.result="deny" authz\.policy="shop\/block" error="no longer allowed"$/);
  assert.doesNotMatch(logger.lines[1]!, /authz/);
});

test('dry-run fields: the would-deny policy when one decided, the result alone otherwise', () => {
  const fields = { srcAddr: '198.18.1.5:1', dstAddr: '198.18.2.7:80', direction: 'inbound' } as const;
  const base = { bytesSent: 0, bytesRecv: 0, durationMs: 0 };
  assert.equal(
    formatAccessLog(fields, { ...base, authz: { result: 'allow', dryRunDeny: { policy: 'shop/trial' } } }),
    'connection complete src.addr=198.18.1.5:1 dst.addr=198.18.2.7:80 direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" authz.result="allow" authz.dry_run_result="deny" authz.dry_run_policy="shop/trial"',
  );
  assert.match(formatAccessLog(fields, { ...base, authz: { result: 'allow', policy: 'shop/web', dryRunDeny: {} } }), / authz\.result="allow" authz\.policy="shop\/web" authz\.dry_run_result="deny"$/);
});

test('authorization decisions are counted by decision, policy, destination namespace and phase', () => {
  const registry = new Registry();
  const metrics = new AuthorizationMetrics(registry);
  metrics.count('allow', 'shop/web', 'shop', 'connect');
  metrics.count('allow', 'shop/web', 'shop', 'connect');
  metrics.count('deny', undefined, 'shop', 'connect');
  metrics.count('deny', 'shop/block', 'shop', 'recheck');
  metrics.count('dry_run_deny', 'shop/trial', 'shop', 'connect');
  const text = registry.render();
  assert.match(text, /^# TYPE ztunnel_authorization_decisions_total counter$/m);
  assert.match(text, /^ztunnel_authorization_decisions_total\{decision="allow",policy="shop\/web",destination_workload_namespace="shop",phase="connect"\} 2$/m);
  assert.match(text, /^ztunnel_authorization_decisions_total\{decision="deny",policy="none",destination_workload_namespace="shop",phase="connect"\} 1$/m);
  assert.match(text, /^ztunnel_authorization_decisions_total\{decision="deny",policy="shop\/block",destination_workload_namespace="shop",phase="recheck"\} 1$/m);
  assert.match(text, /^ztunnel_authorization_decisions_total\{decision="dry_run_deny",policy="shop\/trial",destination_workload_namespace="shop",phase="connect"\} 1$/m);
});
