import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchClusterIdentity, capturedPods, hboneWorkloadIPs, interfaceWithAddress, planCores, planStunnelRoutes, recordOf, sumCounter } from './l4-plan';

test('the cluster is `bench` in block 1 unless the environment says otherwise', () => {
  assert.deepEqual(benchClusterIdentity({}), { name: 'bench', block: 1 });
  assert.deepEqual(benchClusterIdentity({ AMBIT_BENCH_CLUSTER: 'benchc', AMBIT_BENCH_BLOCK: '0' }), { name: 'benchc', block: 0 });
  assert.throws(() => benchClusterIdentity({ AMBIT_BENCH_BLOCK: '2' }), /AMBIT_BENCH_BLOCK must be 0 or 1/);
  assert.throws(() => benchClusterIdentity({ AMBIT_BENCH_CLUSTER: 'Bench!' }), /invalid/);
});

test('stunnel routes: plain client → node1 port → node2 port → plain server pod, one per server asked for', () => {
  const routes = planStunnelRoutes({ iperf: true, http: true }, '198.18.128.11', '198.18.128.12', { iperf: '198.18.130.2', http: '198.18.130.3' });
  assert.deepEqual(routes, [
    { kind: 'iperf', clientAccept: { host: '198.18.128.11', port: 16001 }, serverAccept: { host: '198.18.128.12', port: 16011 }, target: { host: '198.18.130.2', port: 5201 } },
    { kind: 'http', clientAccept: { host: '198.18.128.11', port: 16002 }, serverAccept: { host: '198.18.128.12', port: 16012 }, target: { host: '198.18.130.3', port: 8080 } },
  ]);
  assert.throws(() => planStunnelRoutes({ echo: true }, '198.18.128.11', '198.18.128.12', {}), /no plain echo server pod IP/);
});

test('cores: tunnels on 0 and load on 1 with two or more cores, no pinning on one', () => {
  assert.deepEqual(planCores(2), { tunnel: 0, load: 1 });
  assert.deepEqual(planCores(8), { tunnel: 0, load: 1 });
  assert.deepEqual(planCores(1), {});
});

test('config_dump: captured pods and HBONE workload addresses', () => {
  const dump = {
    workloads: [
      { addresses: ['198.18.130.4'], tunnelProtocol: 'HBONE' },
      { addresses: ['198.18.129.2'], tunnelProtocol: 'NONE' },
      { addresses: ['198.18.130.5', 7], tunnelProtocol: 'HBONE' },
    ],
    capture: { pods: ['198.18.129.4', null] },
  };
  assert.deepEqual(capturedPods(dump), ['198.18.129.4']);
  assert.deepEqual(hboneWorkloadIPs(dump), ['198.18.130.4', '198.18.130.5']);
  assert.deepEqual(capturedPods({ capture: { mode: 'none' } }), []);
  assert.deepEqual(hboneWorkloadIPs('not json'), []);
});

test('a counter summed over the series whose labels match', () => {
  const text = [
    '# HELP istio_tcp_connections_opened_total opened',
    '# TYPE istio_tcp_connections_opened_total counter',
    'istio_tcp_connections_opened_total{reporter="destination",source_workload="a"} 3',
    'istio_tcp_connections_opened_total{reporter="destination",source_workload="b\\"x"} 2',
    'istio_tcp_connections_opened_total{reporter="source"} 7',
    'istio_tcp_connections_opened_total_other{reporter="destination"} 100',
  ].join('\n');
  assert.equal(sumCounter(text, 'istio_tcp_connections_opened_total', { reporter: 'destination' }), 5);
  assert.equal(sumCounter(text, 'istio_tcp_connections_opened_total'), 12);
  assert.equal(sumCounter('', 'istio_tcp_connections_opened_total'), 0);
});

test('a pod container\'s pid record by pod UID and container name', () => {
  const records = [null, { pid: 10, netns: 'bench-node1', podUID: 'u1', container: 'istio-proxy' }, { pid: 11, netns: 'bench-abc', podUID: 'u2', container: 'main' }];
  assert.equal(recordOf(records, 'u1', 'istio-proxy')?.pid, 10);
  assert.equal(recordOf(records, 'u2')?.netns, 'bench-abc');
  assert.equal(recordOf(records, 'u2', 'istio-proxy'), undefined);
});

test('an address block already in use on this machine is found by its bridge address', () => {
  const out = [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '7: benchc0    inet 198.18.0.1/24 scope global benchc0\\       valid_lft forever preferred_lft forever',
    '9: other0    inet 198.18.128.10/24 scope global other0',
  ].join('\n');
  assert.equal(interfaceWithAddress(out, '198.18.0.1'), 'benchc0');
  assert.equal(interfaceWithAddress(out, '198.18.128.1'), undefined);
});
