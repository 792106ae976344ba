import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whichBinary } from '../harness/tools';
import { renderHaproxyConfig, type HaproxyConfig } from './l7-haproxy-config';

const TLS = { certKeyFile: '/tmp/run/haproxy-crt-key.pem', caFile: '/tmp/run/roots.pem' };
const CONFIG: HaproxyConfig = {
  ciphersuites: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256',
  curves: 'X25519:P-256',
  routes: [
    { name: 'plain', bind: { host: '198.18.128.12', port: 16080 }, servers: [{ host: '198.18.130.5', port: 8080 }, { host: '198.18.130.6', port: 8080 }] },
    { name: 'tls', bind: { host: '198.18.128.12', port: 16082 }, bindTls: TLS, servers: [{ host: '198.18.128.12', port: 16083 }], serverTls: TLS },
  ],
};

test('one thread, HTTP mode with keep-alive and connection reuse, TLS 1.3 with the given suites', () => {
  const text = renderHaproxyConfig(CONFIG);
  for (const line of ['nbthread 1', 'mode http', 'option http-keep-alive', 'http-reuse always', 'ssl-default-bind-options ssl-min-ver TLSv1.3',
    'ssl-default-server-ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256']) {
    assert.ok(text.includes(`  ${line}\n`), `missing '${line}'`);
  }
  assert.doesNotMatch(text, /^\s*log /m);
});

test('a plain route round-robins over every server; a TLS route requires a client certificate and presents one upstream', () => {
  const text = renderHaproxyConfig(CONFIG);
  assert.match(text, /frontend fe-plain\n {2}bind 198\.18\.128\.12:16080\n/);
  assert.match(text, /backend be-plain\n {2}balance roundrobin\n {2}server s1 198\.18\.130\.5:8080\n {2}server s2 198\.18\.130\.6:8080\n/);
  assert.match(text, /bind 198\.18\.128\.12:16082 ssl crt \/tmp\/run\/haproxy-crt-key\.pem ca-file \/tmp\/run\/roots\.pem verify required curves X25519:P-256 alpn http\/1\.1\n/);
  assert.match(text, /server s1 198\.18\.128\.12:16083 ssl crt \/tmp\/run\/haproxy-crt-key\.pem ca-file \/tmp\/run\/roots\.pem verify required\n/);
});

test('values that would break the file are refused', () => {
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, routes: [] }), RangeError);
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, routes: [{ ...CONFIG.routes[0], name: 'a b' }] }), RangeError);
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, routes: [{ ...CONFIG.routes[0], servers: [] }] }), RangeError);
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, routes: [{ ...CONFIG.routes[1], bindTls: { ...TLS, caFile: '/a b.pem' } }] }), RangeError);
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, routes: [{ ...CONFIG.routes[0], bind: { host: 'x\ny', port: 1 } }] }), RangeError);
  assert.throws(() => renderHaproxyConfig({ ...CONFIG, threads: 0 }), RangeError);
});

test('HAProxy itself accepts the plain configuration (skipped without haproxy)', async (t) => {
  const haproxy = await whichBinary('haproxy');
  if (!haproxy) {
    t.skip('haproxy is not installed');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'l7-haproxy-test-'));
  try {
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, renderHaproxyConfig({ ...CONFIG, routes: [{ name: 'plain', bind: { host: '127.0.0.1', port: 16080 }, servers: [{ host: '127.0.0.1', port: 8080 }] }] }));
    const out = await new Promise<string>((resolve, reject) => {
      execFile(haproxy, ['-c', '-f', file], { timeout: 10_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${stdout}${stderr}`)) : resolve(String(stdout))));
    });
    assert.match(out, /Configuration file is valid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
