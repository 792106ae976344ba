// The JWKS transport against a local HTTP server reached through an injected mesh dialer: the
// body through, non-200 and oversized bodies refused, the timeout and the caller's signal
// honoured; direct fetches to loopback, link-local and unspecified addresses refused; bad URLs;
// and the whole path (authenticator → fetcher → server) including recovery after an outage.

import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import tls from 'node:tls';
import { makeTestCa } from '../../pkg/tls/test-pki';
import { ErrorCode, isMeshError } from '../../pkg/errors/mesh-error';
import { memoryLogger } from '../../pkg/log/logger';
import { createJwksFetcher, refusedAddressReason } from './jwks-fetch';
import { JwtAuthenticator } from './jwt-authn';
import { bearer, jwks, jwksServer, policy, rule, sign, T0, testKey } from './jwt-test-support';

/** Dials every host to the test server on 127.0.0.1 and records what was asked. */
function meshTo(port: number, dialled: string[] = []) {
  return (host: string, p: number): Promise<Duplex> => {
    dialled.push(`${host}:${p}`);
    return new Promise<Duplex>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  };
}

const never = new AbortController().signal;

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isMeshError(err, code), `want ${code}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  };
}

test('fetches the body through the mesh dialer with the URL host as Host', async () => {
  const server = await jwksServer('{"keys": []}');
  let host = '';
  server.respond = (res) => { res.end('{"keys": []}'); };
  const dialled: string[] = [];
  const fetch = createJwksFetcher({ dialMesh: meshTo(server.port, dialled) });
  const body = await fetch(`http://keys.shop.svc.cluster.local:${server.port}/jwks?v=1`, 2000, never);
  assert.equal(body, '{"keys": []}');
  assert.deepEqual(dialled, [`keys.shop.svc.cluster.local:${server.port}`]);
  server.respond = (res) => { host = String(res.req.headers.host); res.end('{}'); };
  await fetch('http://keys.shop.svc.cluster.local/jwks', 2000, never);
  assert.equal(host, 'keys.shop.svc.cluster.local');
  assert.deepEqual(dialled.at(-1), 'keys.shop.svc.cluster.local:80');
  await server.close();
});

test('non-200, oversized bodies, timeout and cancellation are MeshErrors', async () => {
  const server = await jwksServer('');
  const fetch = createJwksFetcher({ dialMesh: meshTo(server.port), maxBytes: 100 });
  const url = `http://keys.example:${server.port}/jwks`;
  server.respond = (res) => { res.writeHead(404).end('nope'); };
  await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.Unavailable, /HTTP status 404, want 200/));
  server.respond = (res) => { res.writeHead(302, { location: 'http://169.254.169.254/' }).end(); };
  await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.Unavailable, /HTTP status 302/));
  server.respond = (res) => { res.end('x'.repeat(101)); };
  await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.InvalidArgument, /over the 100-byte limit/));
  server.respond = (res) => { res.write('x'.repeat(60)); res.end('y'.repeat(60)); };
  await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.InvalidArgument, /over the 100-byte limit/));
  server.respond = (res) => { res.end('x'.repeat(100)); };
  assert.equal((await fetch(url, 2000, never)).length, 100);
  server.respond = () => undefined;
  await assert.rejects(fetch(url, 150, never), rejectsWith(ErrorCode.Timeout, /timed out after 150 ms/));
  const ctl = new AbortController();
  const pending = fetch(url, 5000, ctl.signal);
  setImmediate(() => ctl.abort());
  await assert.rejects(pending, rejectsWith(ErrorCode.Unavailable, /cancelled/));
  await server.close();
});

test('https through the mesh speaks TLS with the URL host as SNI and verifies the certificate', async () => {
  const ca = await makeTestCa('untrusted', 'ec-p256');
  const seen: string[] = [];
  const server = tls.createServer({
    cert: ca.certPem, key: ca.key.pem,
    SNICallback: (name, cb) => { seen.push(name); cb(null, tls.createSecureContext({ cert: ca.certPem, key: ca.key.pem })); },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const fetch = createJwksFetcher({ dialMesh: meshTo(port) });
  await assert.rejects(fetch('https://keys.shop.svc.cluster.local/jwks', 2000, never), rejectsWith(ErrorCode.Unavailable, /certificate/));
  assert.deepEqual(seen, ['keys.shop.svc.cluster.local']);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a mesh dial that never completes is bounded by the timeout', async () => {
  const fetch = createJwksFetcher({ dialMesh: () => new Promise<Duplex>(() => undefined) });
  await assert.rejects(fetch('http://keys.example/jwks', 100, never), rejectsWith(ErrorCode.Timeout, /timed out/));
});

test('direct fetches refuse loopback, link-local and unspecified targets', async () => {
  const server = await jwksServer('{"keys": []}');
  const fetch = createJwksFetcher({ dialMesh: () => undefined });
  for (const [url, why] of [
    [`http://127.0.0.1:${server.port}/jwks`, /loopback/],
    [`http://localhost:${server.port}/jwks`, /loopback/],
    [`http://[::1]:${server.port}/jwks`, /loopback/],
    [`http://[::ffff:127.0.0.1]:${server.port}/jwks`, /loopback/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://[fe80::1]/jwks', /link-local/],
    ['http://0.0.0.0/jwks', /unspecified/],
    ['http://[::]/jwks', /unspecified/],
  ] as const) {
    await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.PermissionDenied, why), url);
  }
  assert.equal(server.requests(), 0);
  for (const [url, why] of [['ftp://keys.example/jwks', /not http or https/], ['not a url', /not a valid URL/], ['http://u:p@keys.example/', /credentials/]] as const) {
    await assert.rejects(fetch(url, 2000, never), rejectsWith(ErrorCode.InvalidArgument, why), url);
  }
  await server.close();
});

test('refusedAddressReason classifies addresses', () => {
  const table: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'], ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['FEBF::1', 'link-local'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['198.18.0.10', undefined], ['198.19.0.5', undefined],
    ['2001:db8::1', undefined], ['fec0::1', undefined], ['::ffff:198.18.1.2', undefined],
  ];
  for (const [ip, want] of table) assert.equal(refusedAddressReason(ip), want, ip);
});

test('end to end: a jwksUri outage fails tokens closed, then they verify once the server answers', async () => {
  const k = await testKey('ES256', 'k');
  const server = await jwksServer(jwks(k.jwk));
  server.respond = (res) => { res.writeHead(503).end(); };
  const clock = { now: T0 };
  const a = new JwtAuthenticator({ fetchJwks: createJwksFetcher({ dialMesh: meshTo(server.port) }), logger: memoryLogger(), now: () => clock.now });
  a.update([policy([rule({ jwksUri: server.url })])]);
  const token = await sign(k);
  const down = await a.authenticate(undefined, bearer(token));
  assert.equal(down.failure, 'jwks_unavailable');
  assert.match(a.status()[0]?.error ?? '', /HTTP status 503/);
  server.respond = (res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(jwks(k.jwk)); };
  clock.now += 1000;
  const up = await a.authenticate(undefined, bearer(token));
  assert.equal(up.outcome, 'ok');
  assert.equal(server.requests(), 2);
  a.close();
  await server.close();
});
