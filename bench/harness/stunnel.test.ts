import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStunnelConfig } from './stunnel';

const base = {
  certChainFile: '/tmp/b/client-chain.pem', keyFile: '/tmp/b/client-key.pem', rootsFile: '/tmp/b/roots.pem',
  ciphersuites: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256', curves: 'X25519:P-256',
};

test('renders a TLS 1.3 mutual-TLS client with one section per service', () => {
  const text = renderStunnelConfig({
    ...base,
    client: true,
    services: [
      { name: 'iperf', accept: { host: '127.0.0.1', port: 4001 }, connect: { host: '127.0.0.1', port: 4002 } },
      { name: 'http', accept: { host: '::1', port: 4003 }, connect: { host: '127.0.0.1', port: 4004 } },
    ],
  });
  const lines = text.split('\n');
  assert.ok(lines.includes('foreground = yes'));
  assert.ok(lines.includes('[iperf]') && lines.includes('[http]'));
  assert.equal(lines.filter((l) => l === 'client = yes').length, 2);
  assert.ok(lines.includes('accept = [::1]:4003'));
  assert.ok(lines.includes('connect = 127.0.0.1:4002'));
  assert.equal(lines.filter((l) => l === 'verifyChain = yes').length, 2);
  assert.equal(lines.filter((l) => l === 'sslVersionMin = TLSv1.3').length, 2);
  assert.ok(lines.includes('CAfile = /tmp/b/roots.pem'));
  assert.ok(lines.includes('ciphersuites = TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'));
  assert.ok(lines.includes('curves = X25519:P-256'));
  // Global options come before the first service section.
  assert.ok(lines.indexOf('foreground = yes') < lines.indexOf('[iperf]'));
});

test('refuses values that would inject lines or sections', () => {
  assert.throws(() => renderStunnelConfig({ ...base, client: false, keyFile: 'a\nexec = /bin/sh', services: [] }), RangeError);
  assert.throws(
    () => renderStunnelConfig({ ...base, client: false, services: [{ name: 'x]\n[y', accept: { host: '127.0.0.1', port: 1 }, connect: { host: '127.0.0.1', port: 2 } }] }),
    RangeError,
  );
});
