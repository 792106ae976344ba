// decideConnect and RefusalLog: a bound authority is served with the client's identity and
// original address (a forwarded one only when its workload has the peer's identity); an unbound one is refused with a reason naming it and the waypoint, logged
// once per authority per minute.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectRequest } from '../../pkg/hbone/types';
import { spiffeId } from '../../pkg/identity/spiffe';
import type { StreamTarget, WaypointView } from '../state/view';
import { decideConnect } from './connect-decision';
import { RefusalLog } from './refusal-log';

const target: StreamTarget = {
  kind: 'service', serviceKey: 'shop/reviews.shop.svc.cluster.local', serviceName: 'reviews', serviceNamespace: 'shop',
  hostname: 'reviews.shop.svc.cluster.local', port: 9080, routes: { port: 9080, protocol: 'HTTP11', routes: [], defaultBackend: 'b' },
};

const view: WaypointView = {
  config: () => undefined,
  resolveTarget: (host, port) => (host === '198.19.0.10' && port === 9080 ? target : undefined),
  backend: () => undefined,
  endpoints: () => [],
  onChange: () => () => undefined,
};

function request(host: string, port: number, extra: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    authority: { kind: host.includes(':') ? 'ipv6' : 'ipv4', host, port },
    localAddress: '198.18.1.20',
    localPort: 15008,
    peer: { identity: spiffeId('cluster.local', 'shop', 'productpage'), address: '198.18.1.3', port: 40000 },
    baggage: new Map(),
    signal: new AbortController().signal,
    ...extra,
  };
}

const self = { namespace: 'shop', name: 'waypoint' };

test('a bound authority is served with the client identity and the forwarded address', () => {
  const d = decideConnect(view, request('198.19.0.10', 9080, { forwarded: { forAddress: '198.18.2.7', forPort: 51000 } }), self);
  assert.deepEqual(d, {
    kind: 'serve', target, peer: { identity: 'spiffe://cluster.local/ns/shop/sa/productpage', address: '198.18.2.7', port: 51000, dialledHost: '198.19.0.10' },
  });
  const direct = decideConnect(view, request('198.19.0.10', 9080), self);
  assert.ok(direct.kind === 'serve');
  assert.deepEqual(direct.peer, { identity: 'spiffe://cluster.local/ns/shop/sa/productpage', address: '198.18.1.3', port: 40000, dialledHost: '198.19.0.10' });
});

test('a forwarded address is believed only when the workload there has the peer\'s identity', () => {
  const owner = (ip: string): string | undefined => (ip === '198.18.2.7' ? 'spiffe://cluster.local/ns/shop/sa/productpage' : 'spiffe://cluster.local/ns/shop/sa/other');
  const own = decideConnect(view, request('198.19.0.10', 9080, { forwarded: { forAddress: '198.18.2.7', forPort: 51000 } }), self, owner);
  assert.ok(own.kind === 'serve');
  assert.equal(own.peer.address, '198.18.2.7');
  const claimed = decideConnect(view, request('198.19.0.10', 9080, { forwarded: { forAddress: '198.18.2.9', forPort: 51000 } }), self, owner);
  assert.ok(claimed.kind === 'serve');
  assert.equal(claimed.peer.address, '198.18.1.3', 'another workload\'s address is not taken on the peer\'s word');
  assert.equal(claimed.peer.port, 40000);
});

test('an unbound authority is refused with 503 naming it and the waypoint', () => {
  assert.deepEqual(decideConnect(view, request('198.19.0.11', 80), self), {
    kind: 'refuse', status: 503, reason: '198.19.0.11:80 is not bound to waypoint shop/waypoint', authority: '198.19.0.11:80',
  });
  const v6 = decideConnect(view, request('fd00::5', 80), self);
  assert.ok(v6.kind === 'refuse');
  assert.equal(v6.authority, '[fd00::5]:80');
});

test('refusals are logged once per authority per minute, with the count of the quiet ones', () => {
  const lines: string[] = [];
  let now = 0;
  const log = new RefusalLog((l) => lines.push(l), { now: () => now, maxKeys: 2 });
  log.refused('a:1', 'a:1 is not bound');
  log.refused('a:1', 'a:1 is not bound');
  log.refused('b:1', 'b:1 is not bound');
  assert.deepEqual(lines, ['refused HBONE CONNECT: a:1 is not bound', 'refused HBONE CONNECT: b:1 is not bound']);
  now = 60_000;
  log.refused('a:1', 'a:1 is not bound');
  assert.equal(lines[2], 'refused HBONE CONNECT: a:1 is not bound (1 more since the last line)');
  log.refused('c:1', 'c:1 is not bound');
  log.refused('d:1', 'd:1 is not bound');
  assert.equal(lines.length, 5, 'new authorities are still logged when the memory is full');
});
