import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientEvent, parseXdsClientsConfig, wallClockMs } from './xds-clients-protocol';

test('events survive a JSON round trip; malformed or foreign lines are dropped', () => {
  const ev = { e: 'applied', c: 3, t: 1700000000000.25, type: 'Address', n: 1, r: 1, held: 10, bytes: 400, names: ['a'], removed: ['b'] } as const;
  assert.deepEqual(parseClientEvent(JSON.stringify(ev)), ev);
  const parsed = parseClientEvent(JSON.stringify({ ...ev, policies: { 'Kubernetes//Pod/ns/p': ['ns/policy'] } }));
  assert.deepEqual(parsed?.e === 'applied' ? parsed.policies : undefined, { 'Kubernetes//Pod/ns/p': ['ns/policy'] });
  const proto = parseClientEvent('{"e":"applied","c":0,"t":5,"type":"Address","n":0,"r":0,"held":0,"bytes":0,"policies":{"__proto__":["x"]}}');
  assert.deepEqual(proto?.e === 'applied' && proto.policies ? Object.keys(proto.policies) : [], ['__proto__']);
  assert.equal(Object.getPrototypeOf(proto?.e === 'applied' ? proto.policies : null), Object.prototype, 'a __proto__ key stays a plain key');
  assert.equal(parseClientEvent('{"e":"applied","c":0,"t":5,"type":"Address","n":0,"r":0,"held":0,"bytes":0,"policies":{"w":[1]}}'), undefined);
  assert.deepEqual(parseClientEvent('{"e":"synced","c":0,"t":5,"held":2,"bytes":9}'), { e: 'synced', c: 0, t: 5, held: 2, bytes: 9 });
  assert.equal(parseClientEvent('{"e":"applied","c":0,"t":5'), undefined);
  assert.equal(parseClientEvent('{"e":"applied","c":-1,"t":5,"type":"Address","n":0,"r":0,"held":0,"bytes":0}'), undefined);
  assert.equal(parseClientEvent('{"e":"applied","c":0,"t":5,"type":"Cluster","n":0,"r":0,"held":0,"bytes":0}'), undefined);
  assert.equal(parseClientEvent('{"e":"applied","c":0,"t":5,"type":"Address","n":0,"r":0,"held":0,"bytes":0,"names":[1]}'), undefined);
  assert.equal(parseClientEvent('{"e":"other","t":5}'), undefined);
  assert.equal(parseClientEvent('not json'), undefined);
});

test('the wall clock has sub-millisecond resolution and tracks Date.now()', () => {
  const t = wallClockMs();
  assert.ok(Math.abs(t - Date.now()) < 1000);
});

test('the agent configuration is checked field by field', () => {
  const client = { nodeId: 'ztunnel~198.18.0.11~p.ns~ns.svc.cluster.local', nodeName: 'node1', podName: 'p', podNamespace: 'ns', nodeIp: '198.18.0.11', token: 'tok' };
  const good = { address: '127.0.0.1:1', serverName: 'istiod.istio-system.svc', rootsPem: 'PEM', clusterId: 'Kubernetes', eventsFile: '/tmp/e', decode: true, namesLimit: 64, clients: [client] };
  const parsed = parseXdsClientsConfig(good);
  assert.notEqual(typeof parsed, 'string');
  assert.equal(parseXdsClientsConfig({ ...good, clients: [] }), 'clients must be a non-empty list');
  assert.equal(parseXdsClientsConfig({ ...good, clients: [{ ...client, token: '' }] }), 'clients[0].token must be a non-empty string');
  assert.equal(parseXdsClientsConfig({ ...good, decode: 'yes' }), 'decode must be true or false');
  assert.equal(parseXdsClientsConfig([]), 'the configuration must be a JSON object');
});
