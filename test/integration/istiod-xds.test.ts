// istiod's delta ADS server end to end: the real local API server on loopback (pods, Services,
// namespaces, TokenRequest/TokenReview), istiod built in-process on 127.0.0.1:0, and raw grpc-js
// bidi streams over TLS speaking DeltaAggregatedResources the way ztunnel does — so every
// assertion is about what a client receives (resources, removals, statuses) or what /metrics says.
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, status, type ClientDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { build, type Istiod } from '../../istiod/build';
import { loadConfig } from '../../istiod/config';
import { decodeAddress } from '../../pkg/api/workload-codec';
import type { Address } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import { DeltaXdsClient } from '../../pkg/xds/client';
import { deltaAdsMethod } from '../../pkg/xds/delta-messages';
import {
  ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type TypeHandler,
} from '../../pkg/xds/types';
import { apiRequest, eventually, startTestApiServer, type TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';

type Json = Record<string, unknown>;
const WAIT_MS = 30_000;
const NODE_ID = 'ztunnel~198.18.0.10~ztunnel-node1.istio-system~istio-system.svc.cluster.local';
const uid = (ns: string, pod: string): string => `Kubernetes//Pod/${ns}/${pod}`;
const WEB_SERVICE = 'shop/web.shop.svc.cluster.local';

let server: TestApiServer | undefined;
let dir = '';
let istiod: Istiod | undefined;
let logger = memoryLogger();
let token = '';

async function post(path: string, body: Json): Promise<Json> {
  const r = await apiRequest(server!, 'POST', path, { body });
  assert.equal(r.status, 201, `POST ${path}: ${r.text}`);
  return r.body as Json;
}
async function mergePatch(path: string, body: Json): Promise<void> {
  const r = await apiRequest(server!, 'PATCH', path, { body, contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 200, `PATCH ${path}: ${r.text}`);
}
/** A running, ready pod with an IP (no kubelet here: the status is written directly). */
async function runningPod(ns: string, name: string, ip: string, labels: Record<string, string>, sa = 'default'): Promise<string> {
  const created = await post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { serviceAccountName: sa, nodeName: 'node1', containers: [{ name: 'c', image: 'sleep', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  if (ip) {
    await mergePatch(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  return (created.metadata as { uid: string }).uid;
}

/** One DeltaAggregatedResources stream; responses are kept in order and read with a cursor per type. */
class RawStream {
  readonly responses: DeltaDiscoveryResponse[] = [];
  ended: StatusObject | undefined;
  error: ServiceError | undefined;
  private readonly client: Client;
  private readonly call: ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  private readonly read = new Map<string, number>();

  constructor(port: number, root: string, bearer: string | undefined) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createSsl(Buffer.from(root)), {
      'grpc.ssl_target_name_override': 'istiod.istio-system.svc', 'grpc.default_authority': 'istiod.istio-system.svc',
      'grpc.max_receive_message_length': 200 * 1024 * 1024,
    });
    const metadata = new Metadata();
    if (bearer !== undefined) metadata.set('authorization', `Bearer ${bearer}`);
    metadata.set('clusterid', 'Kubernetes');
    const m = deltaAdsMethod;
    this.call = this.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, metadata);
    this.call.on('data', (r: DeltaDiscoveryResponse) => this.responses.push(r));
    this.call.on('error', (e: ServiceError) => { this.error = e; });
    this.call.on('status', (s: StatusObject) => { this.ended = s; });
  }

  subscribe(typeUrl: string, extra: Partial<DeltaDiscoveryRequest> = {}): void {
    this.send({ typeUrl, resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: '', ...extra });
  }

  send(req: DeltaDiscoveryRequest): void {
    this.call.write(req);
  }

  ack(res: DeltaDiscoveryResponse): void {
    this.subscribe(res.typeUrl, { responseNonce: res.nonce });
  }

  nack(res: DeltaDiscoveryResponse, message: string): void {
    this.subscribe(res.typeUrl, { responseNonce: res.nonce, errorDetail: { code: 3, message } });
  }

  /** The next unread response of a type (waits for it). */
  next(typeUrl: string, what: string): Promise<DeltaDiscoveryResponse> {
    return eventually(`${what} (${typeUrl})`, () => {
      const seen = this.read.get(typeUrl) ?? 0;
      const mine = this.responses.filter((r) => r.typeUrl === typeUrl);
      if (mine.length <= seen) return undefined;
      this.read.set(typeUrl, seen + 1);
      return mine[seen];
    }, WAIT_MS);
  }

  count(typeUrl: string): number {
    return this.responses.filter((r) => r.typeUrl === typeUrl).length;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

const decoded = (res: DeltaDiscoveryResponse): Map<string, Address> => new Map(res.resources.map((r) => {
  const d = decodeAddress(r.resource.value);
  assert.ok(d.ok, d.ok ? '' : d.error);
  return [r.name, d.address];
}));
const workloadOf = (a: Address | undefined) => (a?.kind === 'workload' ? a.workload : assert.fail(`not a workload: ${JSON.stringify(a)}`));

function scrape(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: istiod!.addresses.monitoring.port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const metric = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** Everything a client holds after applying the responses so far (name → version). */
function held(responses: readonly DeltaDiscoveryResponse[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of responses) {
    for (const x of r.resources) out[x.name] = x.version;
    for (const n of r.removedResources) delete out[n];
  }
  return out;
}

let main: RawStream | undefined;
const streams: RawStream[] = [];
/** A stream with the node agent's token, another bearer token, or (null) none. */
const open = (bearer: string | null = token): RawStream => {
  const s = new RawStream(istiod!.addresses.grpc.port, istiod!.rootsPem, bearer ?? undefined);
  streams.push(s);
  return s;
};

before(async () => {
  server = await startTestApiServer();
  dir = await mkdtemp(join(tmpdir(), 'ambit-istiod-xds-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  for (const ns of ['istio-system', 'shop', 'other']) await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await post('/api/v1/namespaces/istio-system/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ztunnel' } });
  await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } });
  const ztunnelUid = await runningPod('istio-system', 'ztunnel-node1', '', {}, 'ztunnel');
  const tr = await post('/api/v1/namespaces/istio-system/serviceaccounts/ztunnel/token', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { audiences: ['istio-ca'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'ztunnel-node1', uid: ztunnelUid } },
  });
  token = (tr.status as { token: string }).token;
  await runningPod('shop', 'web-1', '198.18.1.5', { app: 'web' });
  await runningPod('shop', 'web-2', '198.18.1.6', { app: 'web' });
  await runningPod('other', 'db-1', '198.18.1.7', { app: 'db' });
  await post('/api/v1/namespaces/shop/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, clusterIP: '198.19.0.10', clusterIPs: ['198.19.0.10'], ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  logger = memoryLogger();
  istiod = await build(loadConfig({
    KUBECONFIG: kubeconfig, ISTIOD_GRPC_ADDRESS: '127.0.0.1:0', PILOT_DEBOUNCE_AFTER: '20ms', PILOT_DEBOUNCE_MAX: '500ms',
  }), { logger });
  await istiod.ready;
});

after(async () => {
  for (const s of streams) s.close();
  await istiod?.shutdown();
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a node agent receives every Workload and Service, and an empty Authorization response', async () => {
  main = open();
  main.subscribe(ADDRESS_TYPE_URL, { node: { id: NODE_ID, cluster: 'Kubernetes', metadata: { NAMESPACE: 'istio-system' } } });
  main.subscribe(AUTHORIZATION_TYPE_URL);
  const first = await main.next(ADDRESS_TYPE_URL, 'the initial Address response');
  main.ack(first);
  const authz = await main.next(AUTHORIZATION_TYPE_URL, 'the initial Authorization response');
  main.ack(authz);
  assert.deepEqual([authz.resources.length, authz.removedResources.length], [0, 0]);

  const byName = decoded(first);
  assert.deepEqual([...byName.keys()].sort(), [uid('other', 'db-1'), uid('shop', 'web-1'), uid('shop', 'web-2'), WEB_SERVICE].sort());
  const web1 = workloadOf(byName.get(uid('shop', 'web-1')));
  assert.deepEqual([web1.name, web1.namespace, web1.addresses, web1.node, web1.tunnelProtocol], ['web-1', 'shop', ['198.18.1.5'], 'node1', 'NONE']);
  assert.deepEqual(web1.services[WEB_SERVICE]?.map((p) => [p.servicePort, p.targetPort]), [[80, 8080]]);
  const svc = byName.get(WEB_SERVICE);
  assert.ok(svc?.kind === 'service');
  assert.deepEqual(svc.service.addresses.map((a) => a.address), ['198.19.0.10']);
  const resource = first.resources.find((r) => r.name === WEB_SERVICE)!;
  assert.deepEqual(resource.aliases, ['/198.19.0.10']);
  assert.deepEqual(first.resources.find((r) => r.name === uid('shop', 'web-1'))!.aliases, ['/198.18.1.5']);
  assert.match(resource.version, /^[0-9a-f]{16}$/);
  assert.ok(logger.lines.some((l) => l.includes(`xDS: ${NODE_ID} connected (istio-system/ztunnel (pod ztunnel-node1)`)), 'the node id is logged');
  await eventually('the connected-clients gauge', async () => metric((await scrape('/metrics')).body, 'pilot_xds_connected_clients') === 1, WAIT_MS);
  assert.equal((await scrape('/ready')).status, 200);
});

test('labelling the namespace ambient pushes only its workloads, now with HBONE', async () => {
  await mergePatch('/api/v1/namespaces/shop', { metadata: { labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  const push = await main!.next(ADDRESS_TYPE_URL, 'the push after labelling shop');
  main!.ack(push);
  const byName = decoded(push);
  assert.deepEqual([...byName.keys()].sort(), [uid('shop', 'web-1'), uid('shop', 'web-2')]);
  for (const a of byName.values()) assert.equal(workloadOf(a).tunnelProtocol, 'HBONE');
  assert.deepEqual(push.removedResources, []);
});

test('deleting a pod sends its removal', async () => {
  const r = await apiRequest(server!, 'DELETE', '/api/v1/namespaces/shop/pods/web-2?gracePeriodSeconds=0');
  assert.equal(r.status, 200, r.text);
  const push = await main!.next(ADDRESS_TYPE_URL, 'the push after deleting web-2');
  main!.ack(push);
  assert.ok(push.removedResources.includes(uid('shop', 'web-2')), JSON.stringify(push.removedResources));
  assert.ok(!push.resources.some((x) => x.name === uid('shop', 'web-2')));
});

test('a NACK is counted and logged, and not answered by resending; the next change still arrives', async () => {
  const nacker = open();
  nacker.subscribe(ADDRESS_TYPE_URL, { node: { id: 'ztunnel~198.18.0.11~ztunnel-nacker.istio-system~istio-system.svc.cluster.local', cluster: 'Kubernetes', metadata: {} } });
  const first = await nacker.next(ADDRESS_TYPE_URL, 'the initial response to the NACKing client');
  nacker.nack(first, 'workload Kubernetes//Pod/shop/web-1: refused by test');
  await eventually('the NACK metric', async () => metric((await scrape('/metrics')).body, 'pilot_xds_nacks_total{type="istio.workload.Address"}') === 1, WAIT_MS);
  assert.ok(logger.lines.some((l) => l.includes('NACK from ztunnel~198.18.0.11') && l.includes('refused by test')));

  await runningPod('shop', 'web-3', '198.18.1.8', { app: 'web' });
  const next = await nacker.next(ADDRESS_TYPE_URL, 'the push after creating web-3');
  assert.deepEqual(next.resources.map((r) => r.name), [uid('shop', 'web-3')], 'only the new workload, not the refused ones again');
  assert.equal(nacker.count(ADDRESS_TYPE_URL), 2, 'no resend between the NACK and the next change');
  nacker.ack(next);
  const mainPush = await main!.next(ADDRESS_TYPE_URL, 'the push of web-3 to the first client');
  main!.ack(mainPush);
  assert.deepEqual(mainPush.resources.map((r) => r.name), [uid('shop', 'web-3')]);
});

test('a reconnect with initial_resource_versions is sent nothing it already has; large requests fit', async () => {
  const have = held(main!.responses.filter((r) => r.typeUrl === ADDRESS_TYPE_URL));
  assert.equal(Object.keys(have).length, 4);
  const ghosts: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) ghosts[`Kubernetes//Pod/gone/${'p'.repeat(60)}-${i}`] = '0123456789abcdef';
  const again = open();
  again.subscribe(ADDRESS_TYPE_URL, { node: { id: NODE_ID, cluster: 'Kubernetes', metadata: {} }, initialResourceVersions: { ...have, ...ghosts } });
  const first = await again.next(ADDRESS_TYPE_URL, 'the first response after reconnecting');
  assert.deepEqual(first.resources, []);
  assert.deepEqual([...first.removedResources].sort(), Object.keys(ghosts).sort());
});

test('streams without a valid token are refused UNAUTHENTICATED', async () => {
  for (const [bearer, reason] of [[null, /no bearer token/], ['not-a-token', /the token was not accepted/]] as const) {
    const s = open(bearer);
    s.subscribe(ADDRESS_TYPE_URL);
    const ended = await eventually('the stream to end', () => s.ended, WAIT_MS);
    assert.equal(ended.code, status.UNAUTHENTICATED);
    assert.match(ended.details, reason);
    assert.equal(s.responses.length, 0);
  }
  const text = (await scrape('/metrics')).body;
  assert.equal(metric(text, 'pilot_xds_refused_streams_total{code="UNAUTHENTICATED"}'), 2);
  assert.ok((metric(text, 'pilot_xds_pushes_total{type="istio.workload.Address"}') ?? 0) >= 6);
  assert.ok((metric(text, 'pilot_xds_sent_bytes_total{type="istio.workload.Address"}') ?? 0) > 0);
});

test('the shared DeltaXdsClient syncs both types from istiod', async () => {
  const handler = (typeUrl: string): TypeHandler & { held: Map<string, string> } => {
    const heldNow = new Map<string, string>();
    return {
      typeUrl, held: heldNow, versions: () => heldNow,
      apply: ({ resources, removed }) => {
        for (const r of resources) heldNow.set(r.name, r.version);
        for (const n of removed) heldNow.delete(n);
        return { ok: true };
      },
    };
  };
  const addresses = handler(ADDRESS_TYPE_URL);
  const client = new DeltaXdsClient({
    address: `127.0.0.1:${istiod!.addresses.grpc.port}`, rootsPem: istiod!.rootsPem, serverName: 'istiod.istio-system.svc',
    token: async () => token, clusterId: 'Kubernetes', node: { id: NODE_ID, cluster: 'Kubernetes', metadata: {} },
    handlers: [addresses, handler(AUTHORIZATION_TYPE_URL)], logger: memoryLogger(),
  });
  try {
    client.start();
    await client.synced;
    assert.deepEqual([...addresses.held.keys()].sort(), [uid('other', 'db-1'), uid('shop', 'web-1'), uid('shop', 'web-3'), WEB_SERVICE].sort());
    assert.deepEqual(addresses.held, new Map(Object.entries(held(main!.responses.filter((r) => r.typeUrl === ADDRESS_TYPE_URL)))),
      'the same versions as the raw client holds');
  } finally {
    await client.close();
  }
});

test('shutdown ends open streams with UNAVAILABLE', async () => {
  await istiod!.shutdown();
  const ended = await eventually('the stream to end', () => main!.ended, WAIT_MS);
  assert.equal(ended.code, status.UNAVAILABLE);
  istiod = undefined;
});
