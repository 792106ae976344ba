// Unit tests for the CA request flow over an in-memory API and a real CA: statuses and reasons
// for each refusal, one log line per refusal, counters, rate limiting, TTL and token parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import { IMPERSONATED_IDENTITY, type CertificateRequest } from '../../pkg/api/ca-messages';
import { formatSpiffeId, spiffeId } from '../../pkg/identity/spiffe';
import { CertificateAuthority } from '../../pkg/tls/authority';
import { createCsr } from '../../pkg/tls/csr';
import { generateP256Key } from '../../pkg/tls/keys';
import { loadConfig } from '../config';
import { memoryKube } from '../kube/memory-kube';
import { memoryLogger } from '../../pkg/log/logger';
import { POD_NAME_EXTRA, POD_UID_EXTRA } from './authorize';
import { bearerToken, createCaService, grantedTtlSeconds, peerAddress } from './ca-service';

const withToken = (token: string): Metadata => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

async function setup(settings: Partial<ReturnType<typeof loadConfig>> = {}) {
  const kube = memoryKube();
  kube.reviews.set('ztunnel-token', {
    authenticated: true, username: 'system:serviceaccount:istio-system:ztunnel', groups: [], audiences: ['istio-ca'],
    extra: { [POD_NAME_EXTRA]: ['zt'], [POD_UID_EXTRA]: ['u1'] },
  });
  kube.reviews.set('cart-token', { authenticated: true, username: 'system:serviceaccount:shop:cart', groups: [], audiences: ['istio-ca'], extra: {} });
  kube.pods.push(
    { namespace: 'istio-system', name: 'zt', uid: 'u1', serviceAccountName: 'ztunnel', nodeName: 'n1', phase: 'Running', deleting: false },
    { namespace: 'shop', name: 'cart-1', uid: 'u2', serviceAccountName: 'cart', nodeName: 'n1', phase: 'Running', deleting: false },
  );
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', ttlSeconds: 86400 * 365 });
  const logger = memoryLogger();
  let now = 0;
  const service = createCaService({ kube, ca, logger, settings: { ...loadConfig({}), ...settings }, now: () => now });
  return { kube, service, logger, advance: (ms: number) => { now += ms; } };
}
const csr = async (ns: string, sa: string) => createCsr(await generateP256Key(), spiffeId('cluster.local', ns, sa));
const request = (csrPem: string, impersonate?: string, ttl = 0): CertificateRequest => ({
  csr: csrPem, validityDurationSeconds: ttl, metadata: impersonate ? { [IMPERSONATED_IDENTITY]: impersonate } : {},
});

test('issues a certificate for a pod on the node agent\'s node', async () => {
  const { service } = await setup();
  const out = await service.issue(request(await csr('shop', 'cart'), 'spiffe://cluster.local/ns/shop/sa/cart', 600), withToken('ztunnel-token'), 'ipv4:198.18.0.5:4000');
  assert.ok(out.ok, out.ok ? '' : out.message);
  assert.equal(formatSpiffeId(out.identity), 'spiffe://cluster.local/ns/shop/sa/cart');
  assert.equal(out.ttlSeconds, 600);
  assert.equal(out.certChain.length, 2, 'leaf and root');
  assert.equal(service.counters.issued, 1);
});

test('refusals: status, reason, one log line and a count each', async () => {
  const { service, logger, kube } = await setup();
  const cartCsr = await csr('shop', 'cart');
  const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
    ['no token', () => service.issue(request(cartCsr), new Metadata(), 'p'), 'UNAUTHENTICATED', /^no bearer token$/],
    ['unknown token', () => service.issue(request(cartCsr), withToken('nope'), 'p'), 'UNAUTHENTICATED', /invalid bearer token/],
    ['garbage CSR', () => service.issue(request('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), withToken('cart-token'), 'p'),
      'INVALID_ARGUMENT', /^invalid CSR/],
    ['empty CSR', () => service.issue(request(''), withToken('cart-token'), 'p'), 'INVALID_ARGUMENT', /no CSR/],
    ['huge CSR', () => service.issue(request('x'.repeat(20_000)), withToken('cart-token'), 'p'), 'INVALID_ARGUMENT', /larger than/],
    ['SAN mismatch', async () => service.issue(request(await csr('shop', 'web')), withToken('cart-token'), 'p'), 'INVALID_ARGUMENT',
      /CSR SAN "spiffe:\/\/cluster.local\/ns\/shop\/sa\/web" does not match the identity spiffe:\/\/cluster.local\/ns\/shop\/sa\/cart/],
    ['off-node', async () => service.issue(request(await csr('shop', 'web'), 'spiffe://cluster.local/ns/shop/sa/web'), withToken('ztunnel-token'), 'p'),
      'PERMISSION_DENIED', /no pod with service account shop\/web runs on node n1/],
    ['API down', async () => { kube.down = true; try { return await service.issue(request(cartCsr), withToken('cart-token'), 'p'); } finally { kube.down = false; } },
      'UNAVAILABLE', /cannot review the token: the API server is down/],
  ];
  for (const [name, call, code, reason] of cases) {
    const before = logger.lines.length;
    const out = await call() as { ok: boolean; status?: string; message?: string };
    assert.equal(out.ok, false, name);
    assert.equal(out.status, code, name);
    assert.match(out.message ?? '', reason, name);
    assert.equal(logger.lines.length, before + 1, `${name}: one log line`);
    assert.match(logger.lines[before] ?? '', new RegExp(`CA refused ${code}: .* from p asked for `), name);
  }
  assert.deepEqual(service.counters.refused, { UNAUTHENTICATED: 2, PERMISSION_DENIED: 1, INVALID_ARGUMENT: 4, RESOURCE_EXHAUSTED: 0, UNAVAILABLE: 1, INTERNAL: 0 });
  assert.equal(service.counters.issued, 0);
});

test('a caller over its rate limit is refused until tokens refill', async () => {
  const { service, advance } = await setup({ caRateLimitBurst: 2, caRateLimitPerSecond: 1 });
  const go = () => service.issue(request(''), withToken('cart-token'), 'p');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await go() as { status?: string }).status);
  assert.deepEqual(statuses, ['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED']);
  const other = await service.issue(request(''), withToken('ztunnel-token'), 'p');
  assert.equal((other as { status?: string }).status, 'INVALID_ARGUMENT', 'another caller is not affected');
  advance(1000);
  assert.equal((await go() as { status?: string }).status, 'INVALID_ARGUMENT');
});

test('one address flooding with junk tokens is cut off before its tokens are reviewed', async () => {
  const { service, kube } = await setup({ caRateLimitBurst: 1, caRateLimitPerSecond: 1 });
  let reviews = 0;
  const review = kube.reviewToken.bind(kube);
  kube.reviewToken = async (token, audiences) => { reviews++; return review(token, audiences); };
  const statuses: string[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await service.issue(request(''), withToken(`junk-${i}`), 'ipv4:198.18.0.9:5000') as { status: string }).status);
  assert.deepEqual(statuses, [...Array(4).fill('UNAUTHENTICATED'), ...Array(6).fill('RESOURCE_EXHAUSTED')]);
  assert.equal(reviews, 4);
});

test('peer addresses', () => {
  assert.equal(peerAddress('ipv4:198.18.0.5:4000'), '198.18.0.5');
  assert.equal(peerAddress('198.18.0.5:4000'), '198.18.0.5');
  assert.equal(peerAddress('[2001:db8::1]:4000'), '2001:db8::1');
  assert.equal(peerAddress('ipv6:[2001:db8::1]:4000'), '2001:db8::1');
  assert.equal(peerAddress('2001:db8::1:4000'), '2001:db8::1', 'grpc-js form');
  assert.equal(peerAddress('unix:/tmp/sock'), 'unix:/tmp/sock');
});

test('TTL: the default when not asked, capped at the maximum', () => {
  const cases: Array<[number, number]> = [[0, 86400], [-5, 86400], [Number.NaN, 86400], [600, 600], [600.7, 600], [1e12, 7776000], [7776000, 7776000]];
  for (const [asked, granted] of cases) assert.equal(grantedTtlSeconds(asked, 86400, 7776000), granted, String(asked));
});

test('bearer tokens: exactly one authorization entry with the Bearer scheme', () => {
  const md = (...values: string[]) => { const m = new Metadata(); for (const v of values) m.add('authorization', v); return m; };
  assert.equal(bearerToken(md('Bearer abc')), 'abc');
  assert.equal(bearerToken(md('bearer abc')), 'abc');
  assert.equal(bearerToken(md('Basic abc')), undefined);
  assert.equal(bearerToken(md('Bearer')), undefined);
  assert.equal(bearerToken(md('Bearer a b')), undefined);
  assert.equal(bearerToken(md('Bearer a', 'Bearer b')), undefined);
  assert.equal(bearerToken(md()), undefined);
});
