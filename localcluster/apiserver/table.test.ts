// Tests for Table negotiation and assembly: which Accept headers get a Table, list and object
// tables with their metadata and row objects, custom resource printer columns, watch events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { BUILTIN_TYPES } from './registry';
import { customResourcePrinter, typedCell } from './table-custom';
import { printerFor, Table, tableOfBody, tableRequest, TableRequest, tableWatchTransform } from './table';
import type { KubeObject, ResourceType } from './types';

const KUBECTL_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const NOW = Date.parse('2024-05-01T12:00:00Z');
const q = (s = ''): URLSearchParams => new URLSearchParams(s);
const builtin = (plural: string): ResourceType => BUILTIN_TYPES.find((t) => t.plural === plural) as ResourceType;
const V1: TableRequest = { apiVersion: 'meta.k8s.io/v1', includeObject: 'Metadata' };

const cm = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv, creationTimestamp: '2024-05-01T11:59:55Z', labels: { a: 'b' } }, data: { k: 'v' },
});

test('kubectl\'s Accept header gets a v1 Table; plain, other and unknown conversions do not', () => {
  assert.deepEqual(tableRequest(KUBECTL_ACCEPT, q()), V1);
  assert.deepEqual(tableRequest('application/json;as=Table;v=v1beta1;g=meta.k8s.io', q()), { apiVersion: 'meta.k8s.io/v1beta1', includeObject: 'Metadata' });
  assert.deepEqual(tableRequest('application/json; as=Table; g=meta.k8s.io; v=v1', q('includeObject=Object')), { ...V1, includeObject: 'Object' });
  assert.equal(tableRequest(undefined, q()), undefined);
  assert.equal(tableRequest('application/json', q()), undefined);
  assert.equal(tableRequest('application/yaml', q()), undefined);
  assert.equal(tableRequest('*/*', q()), undefined);
  assert.equal(tableRequest('application/json;as=Table;v=v2;g=meta.k8s.io,application/json', q()), undefined);
  assert.equal(tableRequest('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json', q()), undefined);
  assert.equal(tableRequest('application/json;q=0.9,application/json;as=Table;v=v1;g=meta.k8s.io', q())?.apiVersion, 'meta.k8s.io/v1');
  assert.throws(() => tableRequest(KUBECTL_ACCEPT, q('includeObject=Everything')), (e: unknown) => e instanceof ApiError && e.code === 400);
});

test('a list becomes a Table with the list metadata and partial object metadata per row', () => {
  const list = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 }, items: [cm('a', '40'), cm('b', '41')] };
  const table = tableOfBody(printerFor(builtin('configmaps'), undefined), V1, list, NOW) as Table;
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
  assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Data', 'Age']);
  for (const c of table.columnDefinitions) assert.deepEqual(Object.keys(c).sort(), ['description', 'format', 'name', 'priority', 'type']);
  assert.deepEqual(table.rows.map((r) => r.cells), [['a', 1, '5s'], ['b', 1, '5s']]);
  assert.deepEqual(table.rows[0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm('a', '40').metadata });
});

test('one object becomes a one-row Table at its resourceVersion; includeObject picks the row object', () => {
  const printer = printerFor(builtin('configmaps'), undefined);
  const one = tableOfBody(printer, V1, cm('a', '40'), NOW) as Table;
  assert.equal(one.metadata.resourceVersion, '40');
  assert.equal(one.rows.length, 1);
  assert.deepEqual((tableOfBody(printer, { ...V1, includeObject: 'Object' }, cm('a', '40'), NOW) as Table).rows[0].object, cm('a', '40'));
  assert.equal((tableOfBody(printer, { ...V1, includeObject: 'None' }, cm('a', '40'), NOW) as Table).rows[0].object, null);
});

test('unknown kinds print NAME and AGE', () => {
  const t: ResourceType = { ...builtin('configmaps'), group: 'example.com', plural: 'widgets', kind: 'Widget' };
  assert.deepEqual(printerFor(t, undefined).columns.map((c) => c.name), ['Name', 'Age']);
});

const crd = (columns: unknown[] | undefined): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' },
    versions: [
      { name: 'v1', served: true, storage: true, ...(columns ? { additionalPrinterColumns: columns } : {}) },
      { name: 'v2', served: true, storage: false, additionalPrinterColumns: [{ name: 'Other', type: 'string', jsonPath: '.spec.other' }] },
    ],
  },
});

test('custom resources print their served version\'s printer columns', () => {
  const printer = customResourcePrinter(crd([
    { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', priority: 1, description: 'Where it serves.' },
    { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
    { name: 'Broken', type: 'string', jsonPath: '.spec[' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]), 'v1');
  assert.deepEqual(printer.columns.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0], ['Size', 'integer', 0], ['Ready', 'string', 0], ['Hosts', 'string', 1], ['Missing', 'string', 0], ['Broken', 'string', 0], ['Age', 'date', 0],
  ]);
  assert.equal(printer.columns[3].description, 'Where it serves.');
  assert.match(printer.columns[1].description, /JSONPath.*\.spec\.size/);
  const widget: KubeObject = {
    apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', creationTimestamp: '2024-05-01T09:00:00Z' },
    spec: { size: 3.7, hosts: ['a', 'b'] }, status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(printer.cells(widget, NOW), ['w1', 3, 'True', '["a","b"]', null, null, '3h']);
});

test('a CRD version without printer columns gets Age', () => {
  assert.deepEqual(customResourcePrinter(crd(undefined), 'v1').columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(customResourcePrinter(crd(undefined), 'v2').columns.map((c) => c.name), ['Name', 'Other']);
});

test('typed cells keep only values of the declared type', () => {
  assert.equal(typedCell('integer', '3', NOW), null);
  assert.equal(typedCell('number', 2.5, NOW), 2.5);
  assert.equal(typedCell('boolean', true, NOW), true);
  assert.equal(typedCell('boolean', 'true', NOW), null);
  assert.equal(typedCell('string', 7, NOW), '7');
  assert.equal(typedCell('date', 'not a date', NOW), '<invalid>');
  assert.equal(typedCell('date', '2024-05-01T11:00:00Z', NOW), '60m');
});

test('watch events carry one-row Tables; columns only in the first; bookmarks and errors pass', () => {
  const transform = tableWatchTransform(printerFor(builtin('configmaps'), undefined), V1, () => NOW);
  const added = transform({ type: 'ADDED', object: cm('a', '40') });
  const modified = transform({ type: 'MODIFIED', object: cm('a', '41') });
  assert.equal(added.type, 'ADDED');
  const first = added.object as Table;
  const second = modified.object as Table;
  assert.equal(first.kind, 'Table');
  assert.equal(first.columnDefinitions.length, 3);
  assert.deepEqual(first.rows.map((r) => r.cells), [['a', 1, '5s']]);
  assert.equal(second.columnDefinitions.length, 0);
  assert.equal(second.metadata.resourceVersion, '41');
  const bookmark = transform({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '50' } } });
  assert.deepEqual(bookmark.object, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '50' }, columnDefinitions: [], rows: [] });
  const error = { type: 'ERROR', object: { kind: 'Status', code: 410 } };
  assert.deepEqual(transform(error), error);
});
