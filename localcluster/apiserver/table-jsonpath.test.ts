// Tests for the printer-column JSONPath subset: fields, indexes, wildcards, filters, bad syntax.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateJsonPath, parseJsonPath } from './table-jsonpath';

const obj = {
  metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'shop' } },
  spec: { replicas: 3, hosts: ['x.example', 'y.example'], empty: null },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', count: 2 },
      { type: 'Synced', status: 'False', count: 5 },
    ],
  },
};

const run = (path: string): unknown[] => evaluateJsonPath(parseJsonPath(path), obj);

test('fields, quoted names and escaped dots', () => {
  assert.deepEqual(run('.spec.replicas'), [3]);
  assert.deepEqual(run('{.metadata.name}'), ['a']);
  assert.deepEqual(run('$.metadata.name'), ['a']);
  assert.deepEqual(run(".metadata.labels['app.kubernetes.io/name']"), ['shop']);
  assert.deepEqual(run('.metadata.labels.app\\.kubernetes\\.io/name'), ['shop']);
  assert.deepEqual(run('.spec.missing.deeper'), []);
  assert.deepEqual(run('.spec.empty'), [null]);
});

test('indexes and wildcards', () => {
  assert.deepEqual(run('.spec.hosts[0]'), ['x.example']);
  assert.deepEqual(run('.spec.hosts[-1]'), ['y.example']);
  assert.deepEqual(run('.spec.hosts[5]'), []);
  assert.deepEqual(run('.spec.hosts[*]'), ['x.example', 'y.example']);
  assert.deepEqual(run('.status.conditions[*].type'), ['Ready', 'Synced']);
  assert.deepEqual(run('.spec.*').length, 3);
});

test('filters compare a relative path with a literal', () => {
  assert.deepEqual(run('.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(run(".status.conditions[?(@.type == 'Synced')].status"), ['False']);
  assert.deepEqual(run('.status.conditions[?(@.type!="Ready")].type'), ['Synced']);
  assert.deepEqual(run('.status.conditions[?(@.count>3)].type'), ['Synced']);
  assert.deepEqual(run('.status.conditions[?(@.count<=2)].type'), ['Ready']);
  assert.deepEqual(run('.status.conditions[?(@.reason)].type'), []);
  assert.deepEqual(run('.status.conditions[?(@.type=="Gone")].status'), []);
});

test('bad syntax is refused, never evaluated', () => {
  for (const bad of ['.spec[', '.spec..x', 'spec x', '.a[?(@.b=="c"]', '.a["open]', `.${'a'.repeat(2000)}`]) {
    assert.throws(() => parseJsonPath(bad), /JSONPath/, bad);
  }
});

test('values from the prototype are not reachable', () => {
  assert.deepEqual(run('.spec.constructor'), []);
  assert.deepEqual(run('.__proto__'), []);
});
