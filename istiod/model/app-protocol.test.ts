// Unit tests for a port's application protocol: appProtocol first, then the port-name prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appProtocolOf } from './app-protocol';

test('appProtocol wins over the port name', () => {
  assert.equal(appProtocolOf({ name: 'tcp-x', appProtocol: 'http' }), 'HTTP11');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'HTTP2' }), 'HTTP2');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'h2c' }), 'HTTP2');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'kubernetes.io/h2c' }), 'HTTP2');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'grpc' }), 'GRPC');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'tcp' }), 'TCP');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'tls' }), 'TLS');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'https' }), 'TLS');
  assert.equal(appProtocolOf({ name: 'x', appProtocol: 'mongo' }), 'UNKNOWN');
});

test('the port name prefix before the first dash, as Istio reads it', () => {
  const cases: [string, string][] = [
    ['http', 'HTTP11'], ['http-web', 'HTTP11'], ['HTTP-Web', 'HTTP11'], ['http2-api', 'HTTP2'], ['grpc', 'GRPC'],
    ['grpc-api', 'GRPC'], ['grpc-web', 'UNKNOWN'], ['tcp-db', 'TCP'], ['tls-x', 'TLS'], ['https', 'TLS'],
    ['web', 'UNKNOWN'], ['', 'UNKNOWN'], ['httpx', 'UNKNOWN'], ['constructor', 'UNKNOWN'], ['__proto__-x', 'UNKNOWN'],
  ];
  for (const [name, want] of cases) assert.equal(appProtocolOf({ name }), want, name);
});

test('UDP and SCTP ports are UNKNOWN whatever their name', () => {
  assert.equal(appProtocolOf({ name: 'http', protocol: 'UDP' }), 'UNKNOWN');
  assert.equal(appProtocolOf({ name: 'tcp', protocol: 'SCTP' }), 'UNKNOWN');
});
