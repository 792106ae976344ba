// Unit tests for one delta ADS stream's behaviour as a client sees it: the initial response
// (always sent, even empty), changes held back while a response awaits its ACK and then sent
// coalesced, a NACK counted and not answered with a resend, a reconnect with
// initial_resource_versions that holds everything, unknown types, waiting for the source's sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from '../../pkg/xds/types';
import { XdsConnection, type ConnectionContext } from './connection';
import { xdsMetrics } from './metrics';
import type { CachedResource } from './resource-cache';
import { emptySource, type ResourceSource } from './sources';

const res = (name: string, version: string, aliases: string[] = []): CachedResource => ({ name, version, aliases, bytes: Buffer.from(`${name}@${version}`) });

function fakeSource(initial: CachedResource[]): ResourceSource & { set(r: CachedResource): void; del(name: string): void } {
  const map = new Map(initial.map((r) => [r.name, r]));
  return {
    typeUrl: ADDRESS_TYPE_URL, synced: Promise.resolve(), resources: () => map, refresh: (n) => n, onChange: () => () => undefined, stop: () => undefined,
    set: (r) => { map.set(r.name, r); },
    del: (name) => { map.delete(name); },
  };
}

function harness(source: ResourceSource, synced = true, maxResponseBytes = 1 << 20) {
  const registry = new Registry();
  const logger = memoryLogger();
  const sent: DeltaDiscoveryResponse[] = [];
  const syncedTypes = new Set(synced ? [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL] : [AUTHORIZATION_TYPE_URL]);
  const ctx: ConnectionContext = {
    sources: new Map([[ADDRESS_TYPE_URL, source], [AUTHORIZATION_TYPE_URL, emptySource(AUTHORIZATION_TYPE_URL)]]),
    isSynced: (t) => syncedTypes.has(t), metrics: xdsMetrics(registry), logger, maxResponseBytes, version: () => '1',
    unknownType: (t, node) => logger.warn(`unknown ${t} from ${node}`),
  };
  const conn = new XdsConnection('c1', 'istio-system/ztunnel from test', ctx, (r) => sent.push(r));
  return { conn, sent, registry, logger, ctx, syncedTypes };
}

const req = (typeUrl: string, extra: Partial<DeltaDiscoveryRequest> = {}): DeltaDiscoveryRequest => ({
  typeUrl, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: '', ...extra,
});
const node = { id: 'ztunnel~198.18.0.10~ztunnel-1.istio-system~istio-system.svc.cluster.local', cluster: 'Kubernetes', metadata: {} };
const namesOf = (r: DeltaDiscoveryResponse | undefined): string[] => (r?.resources ?? []).map((x) => x.name).sort();

test('a wildcard subscriber gets every resource; other subscribed types get an empty first response', () => {
  const { conn, sent, logger } = harness(fakeSource([res('a', '1'), res('b', '1')]));
  conn.handle(req(ADDRESS_TYPE_URL, { node }));
  conn.handle(req(AUTHORIZATION_TYPE_URL));
  assert.equal(sent.length, 2);
  assert.deepEqual(namesOf(sent[0]), ['a', 'b']);
  assert.equal(sent[0]!.resources[0]!.resource.typeUrl, ADDRESS_TYPE_URL);
  assert.equal(sent[1]!.typeUrl, AUTHORIZATION_TYPE_URL);
  assert.deepEqual(sent[1]!.resources, []);
  assert.notEqual(sent[0]!.nonce, sent[1]!.nonce);
  assert.ok(logger.lines.some((l) => l.includes(`${node.id} connected`)));
  assert.equal(conn.nodeId, node.id);
});

test('changes during an unacknowledged response wait for the ACK, then go out once, current', () => {
  const source = fakeSource([res('a', '1'), res('b', '1')]);
  const { conn, sent } = harness(source);
  conn.handle(req(ADDRESS_TYPE_URL, { node }));
  source.set(res('a', '2'));
  conn.push(ADDRESS_TYPE_URL, new Set(['a']));
  source.set(res('a', '3'));
  source.del('b');
  conn.push(ADDRESS_TYPE_URL, new Set(['a', 'b']));
  assert.equal(sent.length, 1, 'nothing more while the first response is unacknowledged');
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[0]!.nonce }));
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1]!.resources.map((r) => `${r.name}@${r.version}`), ['a@3']);
  assert.deepEqual(sent[1]!.removedResources, ['b']);
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[1]!.nonce }));
  source.set(res('a', '3'));
  conn.push(ADDRESS_TYPE_URL, new Set(['a']));
  assert.equal(sent.length, 2, 'a resource the client holds at the same version is not resent');
});

test('a NACK is counted and logged once; the refused version is not resent, a newer one is', () => {
  const source = fakeSource([res('a', '1')]);
  const { conn, sent, registry, logger } = harness(source);
  conn.handle(req(ADDRESS_TYPE_URL, { node }));
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[0]!.nonce }));
  source.set(res('a', 'bad'));
  conn.push(ADDRESS_TYPE_URL, new Set(['a']));
  assert.equal(sent.length, 2);
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[1]!.nonce, errorDetail: { code: 3, message: 'a: bad address' } }));
  assert.equal(sent.length, 2, 'no resend after a NACK');
  conn.push(ADDRESS_TYPE_URL, new Set(['a']));
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[1]!.nonce, errorDetail: { code: 3, message: 'again' } }));
  assert.equal(sent.length, 2, 'a repeated (stale) NACK and an unchanged push send nothing');
  assert.equal(registry.counter('pilot_xds_nacks_total', '', ['type']).get({ type: 'istio.workload.Address' }), 1);
  const nackLines = logger.lines.filter((l) => l.includes('NACK'));
  assert.equal(nackLines.length, 1);
  assert.match(nackLines[0]!, new RegExp(`${node.id}.*a: bad address`));
  source.set(res('a', 'fixed'));
  conn.push(ADDRESS_TYPE_URL, new Set(['a']));
  assert.deepEqual(sent[2]!.resources.map((r) => r.version), ['fixed']);
});

test('a reconnect with initial_resource_versions gets only what changed, and removals', () => {
  const { conn, sent } = harness(fakeSource([res('a', '1'), res('b', '2')]));
  conn.handle(req(ADDRESS_TYPE_URL, { node, initialResourceVersions: { a: '1', b: '2', gone: '7' } }));
  assert.equal(sent.length, 1, 'the first response is sent even when there is nothing new');
  assert.deepEqual(sent[0]!.resources, []);
  assert.deepEqual(sent[0]!.removedResources, ['gone']);
});

test('an on-demand subscriber gets what it names (by alias too) and removals for unknown names', () => {
  const source = fakeSource([res('uid-1', '1', ['/198.18.1.5']), res('uid-2', '1', ['/198.18.1.6'])]);
  const { conn, sent } = harness(source);
  conn.handle(req(ADDRESS_TYPE_URL, { node, resourceNamesSubscribe: ['*'], resourceNamesUnsubscribe: ['*'] }));
  assert.deepEqual(namesOf(sent[0]), []);
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[0]!.nonce, resourceNamesSubscribe: ['/198.18.1.5', '/198.18.9.9'] }));
  assert.deepEqual(namesOf(sent[1]), ['uid-1']);
  assert.deepEqual(sent[1]!.removedResources, ['/198.18.9.9']);
  conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[1]!.nonce }));
  source.set(res('uid-2', '2', ['/198.18.1.6']));
  conn.push(ADDRESS_TYPE_URL, new Set(['uid-2']));
  assert.equal(sent.length, 2, 'resources it did not ask for are not pushed');
});

test('unknown types get one empty response per stream and one log line', () => {
  const { conn, sent, logger } = harness(fakeSource([]));
  conn.handle(req('type.googleapis.com/envoy.config.cluster.v3.Cluster', { node }));
  conn.handle(req('type.googleapis.com/envoy.config.cluster.v3.Cluster', { responseNonce: 'c1-1' }));
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.resources, []);
  assert.equal(logger.lines.filter((l) => l.includes('unknown')).length, 1);
});

test('a subscription waits for the source to sync', () => {
  const h = harness(fakeSource([res('a', '1')]), false);
  h.conn.handle(req(ADDRESS_TYPE_URL, { node }));
  assert.equal(h.sent.length, 0);
  h.syncedTypes.add(ADDRESS_TYPE_URL);
  h.conn.sourceSynced(ADDRESS_TYPE_URL);
  assert.deepEqual(namesOf(h.sent[0]), ['a']);
});

test('an initial sync larger than one response is sent in parts, each after the previous ACK', () => {
  const big = (name: string): CachedResource => ({ name, version: '1', aliases: [], bytes: Buffer.alloc(3000) });
  const { conn, sent } = harness(fakeSource([big('a'), big('b'), big('c')]), true, 4000);
  conn.handle(req(ADDRESS_TYPE_URL, { node }));
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    assert.equal(sent.length, i + 1);
    assert.equal(sent[i]!.resources.length, 1);
    got.push(sent[i]!.resources[0]!.name);
    conn.handle(req(ADDRESS_TYPE_URL, { responseNonce: sent[i]!.nonce }));
  }
  assert.deepEqual(got.sort(), ['a', 'b', 'c']);
  assert.equal(sent.length, 3, 'nothing more once the client holds everything');
});
