// Tests of DeltaXdsClient against an in-process delta ADS server on loopback: subscriptions, ACK
// and NACK, reconnects with the versions held and a fresh token, close(), and TLS name checks.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { memoryLogger } from '../log/logger';
import { createTestMesh } from '../testing/mesh-certs';
import { DeltaXdsClient, type DeltaXdsClientOptions } from './client';
import { TestAdsServer } from './test-ads-server';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, type ApplyResult, type TypeHandler, type XdsNode, type XdsResource } from './types';

class FakeHandler implements TypeHandler {
  readonly held = new Map<string, string>();
  failWith: string | undefined;
  throwWith: string | undefined;
  constructor(readonly typeUrl: string) {}
  apply(update: { resources: readonly XdsResource[]; removed: readonly string[] }): ApplyResult {
    if (this.throwWith) throw new Error(this.throwWith);
    if (this.failWith) return { ok: false, error: this.failWith };
    for (const r of update.resources) this.held.set(r.name, r.version);
    for (const name of update.removed) this.held.delete(name);
    return { ok: true };
  }
  versions(): ReadonlyMap<string, string> {
    return this.held;
  }
}

const node: XdsNode = { id: 'ztunnel~198.18.0.10~ztunnel-a.istio-system~istio-system.svc.cluster.local', cluster: 'Kubernetes', metadata: { NAME: 'ztunnel-a', INSTANCE_IPS: ['198.18.0.10'] } };

function resources(typeUrl: string, entries: Record<string, string>): XdsResource[] {
  return Object.entries(entries).map(([name, version]) => ({ name, version, aliases: [], resource: { typeUrl, value: Buffer.from(name) } }));
}

function response(typeUrl: string, entries: Record<string, string>, removed: string[] = []) {
  return { systemVersionInfo: 'v', typeUrl, resources: resources(typeUrl, entries), removedResources: removed };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(overrides: Partial<DeltaXdsClientOptions> = {}) {
  const { server, address } = await TestAdsServer.start();
  cleanups.push(() => server.stop());
  const addresses = new FakeHandler(ADDRESS_TYPE_URL);
  const policies = new FakeHandler(AUTHORIZATION_TYPE_URL);
  const logger = memoryLogger();
  let tokens = 0;
  const client = new DeltaXdsClient({
    address,
    rootsPem: '',
    serverName: 'istiod.istio-system.svc',
    token: async () => `token-${++tokens}`,
    clusterId: 'Kubernetes',
    node,
    handlers: [addresses, policies],
    logger,
    backoff: { initialMs: 1, maxMs: 20 },
    insecure: true,
    ...overrides,
  });
  cleanups.push(() => client.close());
  return { server, client, addresses, policies, logger };
}

describe('DeltaXdsClient', () => {
  it('subscribes to every type, with the node on the first request only, a bearer token and the cluster id', async () => {
    const { server, client } = await setup();
    client.start();
    const [first, second] = await server.requests(0, 2);
    assert.deepEqual(first, { node, typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: '' });
    assert.deepEqual(second, { typeUrl: AUTHORIZATION_TYPE_URL, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: '' });
    assert.deepEqual(server.streams[0]?.metadata.get('authorization'), ['Bearer token-1']);
    assert.deepEqual(server.streams[0]?.metadata.get('clusterid'), ['Kubernetes']);
  });

  it('applies and ACKs each response; synced waits for the first response of both types', async () => {
    const { server, client, addresses, policies } = await setup();
    let synced = false;
    void client.synced.then(() => { synced = true; });
    client.start();
    await server.requests(0, 2);
    const n1 = server.push(0, response(ADDRESS_TYPE_URL, { 'Kubernetes//Pod/shop/a': 'v1', 'shop/svc.shop.svc.cluster.local': 'v1' }));
    const [, , ack1] = await server.requests(0, 3);
    assert.deepEqual(ack1, { typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: n1 });
    assert.equal(addresses.held.size, 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(synced, false, 'synced before the Authorization type answered');
    const n2 = server.push(0, response(AUTHORIZATION_TYPE_URL, {}));
    const [, , , ack2] = await server.requests(0, 4);
    assert.equal(ack2?.responseNonce, n2);
    assert.equal(ack2?.errorDetail, undefined);
    await client.synced;
    assert.equal(policies.held.size, 0);
    assert.equal(client.connected(), true);
    const stats = client.stats();
    assert.equal(stats.connects, 1);
    assert.equal(stats.responses, 2);
    assert.equal(stats.nacks, 0);
    assert.ok(stats.bytesReceived > 0);
    assert.deepEqual(stats.perType[ADDRESS_TYPE_URL], { responses: 1, nacks: 0, resources: 2 });
  });

  it('NACKs a response its handler rejects, with the message, and stays connected', async () => {
    const { server, client, addresses, logger } = await setup();
    const nacks: Array<[string, string]> = [];
    client.on('nack', (typeUrl, message) => nacks.push([typeUrl, message]));
    client.start();
    await server.requests(0, 2);
    addresses.failWith = 'workload.addresses[1]: 5 bytes (want 4 or 16)';
    const nonce = server.push(0, response(ADDRESS_TYPE_URL, { a: 'v1' }));
    const [, , nack] = await server.requests(0, 3);
    assert.equal(nack?.responseNonce, nonce);
    assert.deepEqual(nack?.errorDetail, { code: 3, message: 'workload.addresses[1]: 5 bytes (want 4 or 16)' });
    assert.deepEqual(nacks, [[ADDRESS_TYPE_URL, 'workload.addresses[1]: 5 bytes (want 4 or 16)']]);
    assert.ok(logger.lines.some((l) => l.startsWith('warn xds: NACK') && l.includes('5 bytes')));
    assert.equal(addresses.held.size, 0);
    // Still the same stream: the next push is applied and ACKed, and nothing was re-requested.
    addresses.failWith = undefined;
    addresses.throwWith = 'boom';
    server.push(0, response(ADDRESS_TYPE_URL, { a: 'v2' }));
    const [, , , thrown] = await server.requests(0, 4);
    assert.equal(thrown?.errorDetail?.message, 'handler failed: boom');
    addresses.throwWith = undefined;
    const ok = server.push(0, response(ADDRESS_TYPE_URL, { a: 'v3' }));
    const requests = await server.requests(0, 5);
    assert.deepEqual(requests[4], { typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: ok });
    assert.equal(server.streams.length, 1);
    assert.equal(client.connected(), true);
    assert.deepEqual(client.stats().perType[ADDRESS_TYPE_URL], { responses: 3, nacks: 2, resources: 1 });
  });

  it('NACKs a response for a type it did not subscribe to', async () => {
    const { server, client } = await setup();
    const nack = once(client, 'nack');
    client.start();
    await server.requests(0, 2);
    const nonce = server.push(0, response('type.googleapis.com/example.Unknown', { x: '1' }));
    const [, , reply] = await server.requests(0, 3);
    assert.equal(reply?.responseNonce, nonce);
    assert.match(reply?.errorDetail?.message ?? '', /no subscription for type "type.googleapis.com\/example.Unknown"/);
    assert.deepEqual(await nack, ['type.googleapis.com/example.Unknown', 'no subscription for type "type.googleapis.com/example.Unknown"']);
    // A hostile type URL is just another key in the stats.
    server.push(0, response('__proto__', {}));
    await server.requests(0, 4);
    const perType = client.stats().perType;
    assert.deepEqual(Object.getOwnPropertyDescriptor(perType, '__proto__')?.value, { responses: 1, nacks: 1, resources: 0 });
    assert.equal(({} as Record<string, unknown>)['responses'], undefined);
  });

  it('reconnects after the server ends the stream, reporting the versions held and reading the token again', async () => {
    const { server, client, logger } = await setup();
    client.start();
    await server.requests(0, 2);
    server.push(0, response(ADDRESS_TYPE_URL, { 'Kubernetes//Pod/shop/a': 'v1', 'Kubernetes//Pod/shop/b': 'v4' }));
    await server.requests(0, 3);
    const disconnected = once(client, 'disconnected');
    server.endStream(0, { code: 14, details: 'istiod is restarting' });
    assert.match(String((await disconnected)[0]), /istiod is restarting/);
    const [first, second] = await server.requests(1, 2);
    assert.equal(first?.typeUrl, ADDRESS_TYPE_URL);
    assert.deepEqual(first?.node, node);
    assert.deepEqual(first?.initialResourceVersions, { 'Kubernetes//Pod/shop/a': 'v1', 'Kubernetes//Pod/shop/b': 'v4' });
    assert.equal(second?.node, undefined);
    assert.deepEqual(second?.initialResourceVersions, {});
    assert.deepEqual(server.streams[1]?.metadata.get('authorization'), ['Bearer token-2']);
    assert.ok(logger.lines.some((l) => /^warn xds: disconnected from 127\.0\.0\.1:\d+: istiod is restarting \(gRPC UNAVAILABLE\); retrying in \d+ ms$/.test(l)), logger.lines.join('\n'));
    // A clean end (OK status) also leads to a new stream.
    server.push(1, response(AUTHORIZATION_TYPE_URL, {}));
    await server.requests(1, 3);
    server.endStream(1);
    await server.requests(2, 2);
    assert.equal(client.stats().connects, 2); // the third stream has had no answer yet
  });

  it('keeps retrying while the token cannot be read, then connects', async () => {
    let calls = 0;
    const { server, client, logger } = await setup({
      token: async () => {
        calls++;
        if (calls < 3) throw new Error('token file missing');
        return 'late-token';
      },
    });
    client.start();
    await server.requests(0, 2);
    assert.deepEqual(server.streams[0]?.metadata.get('authorization'), ['Bearer late-token']);
    // The same failure twice in a row is logged once.
    assert.equal(logger.lines.filter((l) => l.includes('cannot read the token: token file missing')).length, 1);
  });

  it('drops a stream whose response exceeds maxReceiveBytes, and reconnects', async () => {
    const { server, client, addresses } = await setup({ maxReceiveBytes: 1024 });
    client.start();
    await server.requests(0, 2);
    server.push(0, response(ADDRESS_TYPE_URL, { small: '1' }));
    await server.requests(0, 3);
    const disconnected = once(client, 'disconnected');
    server.push(0, { ...response(ADDRESS_TYPE_URL, {}), resources: [{ name: 'big', version: '1', aliases: [], resource: { typeUrl: ADDRESS_TYPE_URL, value: Buffer.alloc(2048) } }] });
    assert.match(String((await disconnected)[0]), /RESOURCE_EXHAUSTED/);
    const [first] = await server.requests(1, 1);
    assert.deepEqual(first?.initialResourceVersions, { small: '1' });
    assert.equal(addresses.held.has('big'), false);
  });

  it('close() ends the stream and stops reconnecting', async () => {
    const { server, client, logger } = await setup();
    client.start();
    await server.requests(0, 2);
    server.push(0, response(ADDRESS_TYPE_URL, {}));
    await once(client, 'connected');
    await client.close();
    assert.equal(client.connected(), false);
    await server.until(() => (server.streams[0]?.closed ? true : undefined));
    // Many backoff periods (1-20 ms) later there is still only the one stream.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.streams.length, 1);
    assert.ok(logger.lines.some((l) => l.includes('disconnected from') && l.endsWith('closed')));
    await client.close(); // idempotent
  });

  it('speaks TLS, checking the server name against the roots', async () => {
    const mesh = await createTestMesh();
    const serving = await mesh.ca.issueServing({ dnsNames: ['istiod.istio-system.svc'], ttlSeconds: 3600 });
    const { server, address } = await TestAdsServer.start(serving);
    cleanups.push(() => server.stop());
    const good = new FakeHandler(ADDRESS_TYPE_URL);
    const client = new DeltaXdsClient({
      address, rootsPem: mesh.rootsPem, serverName: 'istiod.istio-system.svc', token: async () => 't', clusterId: 'c', node,
      handlers: [good], logger: memoryLogger(), backoff: { initialMs: 1, maxMs: 20 },
    });
    cleanups.push(() => client.close());
    client.start();
    await server.requests(0, 1);
    server.push(0, response(ADDRESS_TYPE_URL, { a: '1' }));
    await client.synced;
    assert.equal(good.held.get('a'), '1');

    const wrongLog = memoryLogger();
    const wrong = new DeltaXdsClient({
      address, rootsPem: mesh.rootsPem, serverName: 'evil.example.com', token: async () => 't', clusterId: 'c', node,
      handlers: [new FakeHandler(ADDRESS_TYPE_URL)], logger: wrongLog, backoff: { initialMs: 1, maxMs: 20 },
    });
    cleanups.push(() => wrong.close());
    wrong.start();
    await new Promise<void>((resolve) => {
      const check = () => (wrongLog.lines.some((l) => l.includes('cannot connect to')) ? resolve() : setTimeout(check, 10));
      check();
    });
    assert.equal(wrong.connected(), false);
    assert.equal(server.streams.length, 1, 'the client with the wrong server name never reached the server');
  });
});
