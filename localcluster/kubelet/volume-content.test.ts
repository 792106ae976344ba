// Volume content: which files a ConfigMap / Secret / downwardAPI / projected volume holds, with
// which bytes and modes, and the kubelet's words when a required object or key is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMap, volumeContent, type ContentLookups, type VolumeFile } from './volume-content';
import type { FileSource } from './volume-plan';

const lookups = (over: Partial<ContentLookups> = {}): ContentLookups => ({
  configMap: (name) => (name === 'istio-ca-root-cert' ? { 'root-cert.pem': Buffer.from('ROOT'), extra: Buffer.from('E') } : undefined),
  secret: (name) => (name === 'cacerts' ? { 'ca-key.pem': Buffer.from([0, 1, 2]) } : undefined),
  token: (audience, exp) => `token(${audience ?? 'default'},${exp})`,
  field: (path) => ({ 'metadata.name': 'ztunnel-abc', 'metadata.namespace': 'istio-system' } as Record<string, string>)[path],
  clusterCA: () => 'CA',
  ...over,
});

const files = (sources: FileSource[], defaultMode = 0o644, l = lookups()) => volumeContent({ kind: 'files', sources, defaultMode, readOnly: true }, l);
const text = (fs: VolumeFile[]) => fs.map((f) => [f.path, f.data.toString('latin1'), f.mode.toString(8)]);

test('a ConfigMap volume holds every key, or only the items asked for', () => {
  const all = files([{ kind: 'configMap', name: 'istio-ca-root-cert', optional: false }]);
  assert.ok('files' in all);
  assert.deepEqual(text(all.files), [['extra', 'E', '644'], ['root-cert.pem', 'ROOT', '644']]);
  const some = files([{ kind: 'configMap', name: 'istio-ca-root-cert', optional: false, items: [{ key: 'root-cert.pem', path: 'certs/root.pem', mode: 0o400 }] }], 0o640);
  assert.ok('files' in some);
  assert.deepEqual(text(some.files), [['certs/root.pem', 'ROOT', '400']]);
});

test('a missing required ConfigMap, Secret or key is an error in the kubelet\'s words; optional ones are skipped', () => {
  assert.deepEqual(files([{ kind: 'configMap', name: 'nope', optional: false }]), { error: 'configmap "nope" not found' });
  assert.deepEqual(files([{ kind: 'secret', name: 'nope', optional: false }]), { error: 'secret "nope" not found' });
  assert.deepEqual(files([{ kind: 'configMap', name: 'istio-ca-root-cert', optional: false, items: [{ key: 'gone', path: 'x' }] }]),
    { error: 'configmap "istio-ca-root-cert" references non-existent config key: gone' });
  assert.deepEqual(files([{ kind: 'configMap', name: 'nope', optional: true }]), { files: [] });
  assert.deepEqual(files([{ kind: 'configMap', name: 'istio-ca-root-cert', optional: true, items: [{ key: 'gone', path: 'x' }] }]), { files: [] });
});

test('a projected volume combines a token (mode 0600), Secret bytes, the CA and downward-API fields', () => {
  const got = files([
    { kind: 'serviceAccountToken', audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' },
    { kind: 'secret', name: 'cacerts', optional: false },
    { kind: 'clusterCA', path: 'ca.crt' },
    { kind: 'downwardAPI', items: [{ path: 'name', fieldPath: 'metadata.name' }] },
  ]);
  assert.ok('files' in got);
  assert.deepEqual(text(got.files), [
    ['istio-token', 'token(istio-ca,43200)', '600'], ['ca-key.pem', '\x00\x01\x02', '644'], ['ca.crt', 'CA', '644'], ['name', 'ztunnel-abc', '644'],
  ]);
  assert.deepEqual(files([{ kind: 'downwardAPI', items: [{ path: 'x', fieldPath: 'spec.weird' }] }]),
    { error: 'downwardAPI field "spec.weird" is not supported by the local cluster' });
});

test('colliding paths and keys that are not file names are refused', () => {
  assert.match(JSON.stringify(files([{ kind: 'clusterCA', path: 'a' }, { kind: 'clusterCA', path: 'a/b' }])), /conflicting paths/);
  const weird = lookups({ configMap: () => ({ '..data': Buffer.from('x') }) });
  assert.match(JSON.stringify(files([{ kind: 'configMap', name: 'c', optional: false }], 0o644, weird)), /not a valid file name/);
});

test('labels and annotations are written as sorted key="value" lines', () => {
  assert.equal(formatMap({ b: 'two', a: 'one "q"' }), 'a="one \\"q\\""\nb="two"');
  assert.equal(formatMap(undefined), '');
});
