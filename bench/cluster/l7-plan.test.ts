import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeSelectorPatch, parseCurlAnswer, planHaproxy, settledWaypointPod } from './l7-plan';

test('HAProxy listens on node2, the TLS chain enters on node1 and leaves through one stunnel port per server', () => {
  const plan = planHaproxy('198.18.128.11', '198.18.128.12', [{ host: '198.18.130.5', port: 8080 }, { host: '198.18.130.6', port: 8080 }]);
  assert.deepEqual(plan.plain, { bind: { host: '198.18.128.12', port: 16080 }, servers: [{ host: '198.18.130.5', port: 8080 }, { host: '198.18.130.6', port: 8080 }] });
  assert.deepEqual(plan.tls.stunnelClient, { accept: { host: '198.18.128.11', port: 16081 }, connect: { host: '198.18.128.12', port: 16082 } });
  assert.deepEqual(plan.tls.haproxyBind, { host: '198.18.128.12', port: 16082 });
  assert.deepEqual(plan.tls.stunnelServer.map((s) => [s.accept.port, s.connect.host]), [[16083, '198.18.130.5'], [16084, '198.18.130.6']]);
  assert.throws(() => planHaproxy('a', 'b', []), RangeError);
});

test('the waypoint Deployment patch is a merge patch of the pod template nodeSelector', () => {
  assert.deepEqual(JSON.parse(nodeSelectorPatch('node2')), { spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': 'node2' } } } } });
});

test('the waypoint pod counts only when it is the one pod, ready, on the chosen node', () => {
  const pod = (name: string, node: string, ready = true): { name: string; node: string; ready: boolean; ip: string } => ({ name, node, ready, ip: ready ? '198.18.130.9' : '' });
  assert.equal(settledWaypointPod([], 'node2'), 'no waypoint pod yet');
  assert.match(settledWaypointPod([pod('a', 'node1'), pod('b', 'node2', false)], 'node2') as string, /2 waypoint pods \(a on node1, b on node2\)/);
  assert.match(settledWaypointPod([pod('a', 'node1')], 'node2') as string, /on node1, waiting for one on node2/);
  assert.match(settledWaypointPod([pod('b', 'node2', false)], 'node2') as string, /not ready yet/);
  assert.deepEqual(settledWaypointPod([pod('b', 'node2')], 'node2'), pod('b', 'node2'));
});

test('a curl answer gives the status, the body size and the last response\'s headers', () => {
  const out = 'HTTP/1.1 100 Continue\r\nx-old: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Ambit-Bench-Route: l7-bench\r\n\r\n\n200 1024';
  const a = parseCurlAnswer(out);
  assert.equal(a?.status, 200);
  assert.equal(a?.bytes, 1024);
  assert.equal(a?.headers.get('x-ambit-bench-route'), 'l7-bench');
  assert.equal(a?.headers.get('x-old'), undefined);
  assert.equal(parseCurlAnswer('curl: (7) Failed to connect'), undefined);
  assert.equal(parseCurlAnswer('\n000 0')?.status, 0);
});
