// Decoding the protobuf bodies kubectl sends for `create namespace` and friends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { decodeProtobufObject } from './protobuf';

const varint = (n: number): Buffer => {
  const out: number[] = [];
  do { out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n > 0);
  return Buffer.from(out);
};
const field = (no: number, body: Buffer | string): Buffer => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
const num = (no: number, n: number): Buffer => Buffer.concat([varint(no << 3), varint(n)]);
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)]);

test('a Namespace with labels decodes to JSON; Go zero values are dropped', () => {
  const meta = Buffer.concat([field(1, 'shop'), field(2, ''), num(7, 0), field(11, Buffer.concat([field(1, 'team'), field(2, 'a')])), field(8, Buffer.alloc(0))]);
  const decoded = decodeProtobufObject(envelope('v1', 'Namespace', Buffer.concat([field(1, meta), field(2, Buffer.alloc(0))])));
  assert.deepEqual(decoded, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } }, spec: {} });
});

test('a TokenRequest keeps audiences, expiry and the bound pod', () => {
  const spec = Buffer.concat([field(1, 'mesh'), field(1, 'api'), num(4, 600), field(3, Buffer.concat([field(1, 'Pod'), field(3, 'web-1')]))]);
  const decoded = decodeProtobufObject(envelope('authentication.k8s.io/v1', 'TokenRequest', field(2, spec)));
  assert.deepEqual(decoded.spec, { audiences: ['mesh', 'api'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', name: 'web-1' } });
});

test('unknown kinds get 415 and broken bodies 400', () => {
  const code = (fn: () => unknown): number => { try { fn(); } catch (e) { if (e instanceof ApiError) return e.code; throw e; } return 0; };
  assert.equal(code(() => decodeProtobufObject(envelope('apps/v1', 'Deployment', Buffer.alloc(0)))), 415);
  assert.equal(code(() => decodeProtobufObject(Buffer.from('{"json": true}'))), 400);
  assert.equal(code(() => decodeProtobufObject(Buffer.concat([envelope('v1', 'Namespace', field(1, 'x')).subarray(0, 12)]))), 400);
});
