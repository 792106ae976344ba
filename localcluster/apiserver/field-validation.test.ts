// Schema checks: unknown fields by path, CRD type/enum/required problems, pruning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstSchema, crdRootSchema, pruneUnknown } from './field-validation';
import { builtinSchema } from './builtin-schemas';
import type { JsonSchema } from './types';

const crdSchema: JsonSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object', required: ['action'],
      properties: {
        action: { type: 'string', enum: ['ALLOW', 'DENY'] },
        rules: { type: 'array', items: { type: 'object', properties: { from: { type: 'array' } } } },
        port: { 'x-kubernetes-int-or-string': true },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

test('unknown fields are reported by path, including metadata and list elements', () => {
  const obj = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labelz: {} }, spec: { action: 'ALLOW', selectr: {}, rules: [{ form: [] }], extra: { any: 1 } } };
  const report = checkAgainstSchema(obj, crdRootSchema(crdSchema), true);
  assert.deepEqual(report.unknown, ['metadata.labelz', 'spec.selectr', 'spec.rules[0].form']);
  assert.deepEqual(report.invalid, []);
});

test('types, enums, int-or-string and required fields are checked for custom resources', () => {
  const report = checkAgainstSchema({ metadata: {}, spec: { action: 'DENYY', rules: 'x', port: true } }, crdRootSchema(crdSchema), true);
  assert.deepEqual(report.invalid.map((c) => `${c.field}:${c.reason}`), ['spec.action:FieldValueNotSupported', 'spec.rules:FieldValueTypeInvalid', 'spec.port:FieldValueTypeInvalid']);
  const missing = checkAgainstSchema({ metadata: {}, spec: {} }, crdRootSchema(crdSchema), true);
  assert.deepEqual(missing.invalid.map((c) => c.field), ['spec.action']);
});

test('pruning drops only undeclared fields', () => {
  const pruned = pruneUnknown({ metadata: { name: 'a' }, spec: { action: 'ALLOW', selectr: {}, extra: { keep: 1 } }, junk: 1 }, crdRootSchema(crdSchema));
  assert.deepEqual(pruned, { metadata: { name: 'a' }, spec: { action: 'ALLOW', extra: { keep: 1 } } });
});

test('built-in kinds: typos under spec and containers are found, open parts accept anything', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', resources: { limits: { cpu: '1' } }, comand: [] }], nodeSelecter: {} } };
  assert.deepEqual(checkAgainstSchema(pod, builtinSchema('', 'Pod'), false).unknown, ['spec.containers[0].comand', 'spec.nodeSelecter']);
  assert.deepEqual(checkAgainstSchema({ metadata: {}, anything: 1 }, builtinSchema('', 'Endpoints'), false).unknown, []);
});
