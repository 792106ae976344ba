// Tests for label selectors (string and object forms) and field selectors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { labelSelectorFromObject, parseFieldSelector, parseLabelSelector } from './selectors';
import type { KubeObject } from './types';

const web = { app: 'web', tier: 'frontend', 'app.kubernetes.io/version': 'v2', empty: '', n: '5' };
const db = { app: 'db', tier: 'backend' };
const none = undefined;

const rejects = (fn: () => unknown, code: number, fragment: string): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(fragment), `"${err.message}" should mention "${fragment}"`);
    return true;
  });
};

test('label selector strings match like Kubernetes', () => {
  // selector, [matches web, matches db, matches no labels]
  const cases: Array<[string, [boolean, boolean, boolean]]> = [
    ['', [true, true, true]],
    ['   ', [true, true, true]],
    ['app=web', [true, false, false]],
    ['app==web', [true, false, false]],
    ['app!=web', [false, true, true]],
    ['app', [true, true, false]],
    ['!app', [false, false, true]],
    ['!missing', [true, true, true]],
    ['app in (web,db)', [true, true, false]],
    ['app in (web)', [true, false, false]],
    ['app notin (web)', [false, true, true]],
    ['app=web,tier=frontend', [true, false, false]],
    ['app=web,tier=backend', [false, false, false]],
    ['  app = web ,  tier in ( frontend , x )  ', [true, false, false]],
    ['app.kubernetes.io/version=v2', [true, false, false]],
    ['empty=', [true, false, false]],
    ['empty==', [true, false, false]],
    ['empty in (,x)', [true, false, false]],
    ['tier,!missing,app notin (db)', [true, false, false]],
    ['n>3', [true, false, false]],
    ['n<3', [false, false, false]],
    ['x-y_z.w', [false, false, false]],
  ];
  for (const [selector, [w, d, n]] of cases) {
    const p = parseLabelSelector(selector);
    assert.deepEqual([p(web), p(db), p(none)], [w, d, n], JSON.stringify(selector));
  }
});

test('malformed label selector strings are 400 naming the offending text', () => {
  const cases: Array<[string, string]> = [
    ['app=web=x', "'='"],
    ['app in web', 'web'],
    ['app in ()', "can't be empty"],
    ['app in (a', 'end of string'],
    ['app in (a b)', "'b'"],
    ['=web', "'='"],
    [',', "','"],
    ['app=web,', 'end of string'],
    ['app,,tier', "','"],
    ['!app=web', "'='"],
    ['-bad=x', '"-bad"'],
    ['app=-bad', '"-bad"'],
    [`app=${'v'.repeat(64)}`, '63'],
    [`${'k'.repeat(64)}=x`, '63'],
    ['Example.COM/app=x', 'Example.COM/app'],
    ['/app=x', 'prefix'],
    ['a/b/c=x', 'a/b/c'],
    ['app notin', 'end of string'],
    ['app > x', 'integer'],
    ['app in (in)', "'in'"],
  ];
  for (const [selector, fragment] of cases) {
    rejects(() => parseLabelSelector(selector), 400, fragment);
    rejects(() => parseLabelSelector(selector), 400, 'unable to parse requirement');
  }
});

test('LabelSelector objects match like Kubernetes', () => {
  const cases: Array<[string, unknown, [boolean, boolean, boolean]]> = [
    ['undefined matches everything', undefined, [true, true, true]],
    ['null matches everything', null, [true, true, true]],
    ['empty matches everything', {}, [true, true, true]],
    ['matchLabels', { matchLabels: { app: 'web' } }, [true, false, false]],
    ['matchLabels AND expression', { matchLabels: { tier: 'frontend' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, [true, false, false]],
    ['In', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }, [true, true, false]],
    ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, [false, true, true]],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, [true, true, false]],
    ['DoesNotExist', { matchExpressions: [{ key: 'empty', operator: 'DoesNotExist', values: [] }] }, [false, true, true]],
  ];
  for (const [name, sel, [w, d, n]] of cases) {
    const p = labelSelectorFromObject(sel);
    assert.deepEqual([p(web), p(db), p(none)], [w, d, n], name);
  }
});

test('malformed LabelSelector objects are 422 naming the field', () => {
  const cases: Array<[unknown, string]> = [
    ['app=web', 'spec.selector'],
    [{ matchLabels: ['app'] }, 'spec.selector.matchLabels'],
    [{ matchLabels: { app: 1 } }, 'spec.selector.matchLabels.app'],
    [{ matchLabels: { '-x': 'y' } }, 'spec.selector.matchLabels'],
    [{ matchLabels: { app: 'bad value' } }, 'spec.selector.matchLabels.app'],
    [{ matchExpressions: {} }, 'spec.selector.matchExpressions'],
    [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, 'spec.selector.matchExpressions[0].operator'],
    [{ matchExpressions: [{ operator: 'Exists' }] }, 'spec.selector.matchExpressions[0].key'],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'In', values: [] }] }, 'spec.selector.matchExpressions[1].values'],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'spec.selector.matchExpressions[0].values'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [1] }] }, 'spec.selector.matchExpressions[0].values'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', '!no'] }] }, 'spec.selector.matchExpressions[0].values[1]'],
  ];
  for (const [sel, field] of cases) {
    assert.throws(() => labelSelectorFromObject(sel, 'spec.selector'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 422, err.message);
      assert.equal(err.details?.causes?.[0]?.field, field, err.message);
      return true;
    });
  }
});

const obj = (o: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: {}, ...o });
const podA = obj({ metadata: { name: 'a', namespace: 'default' }, spec: { nodeName: 'node-1', serviceAccountName: 'sa', priority: 0 }, status: { phase: 'Running' } });
const podB = obj({ metadata: { name: 'b,x=y', namespace: 'kube-system' }, spec: {}, status: { phase: 'Pending' } });
const event = obj({ kind: 'Event', metadata: { name: 'e' }, involvedObject: { name: 'a', kind: 'Pod' } });

test('field selectors match dotted paths; a missing field reads as empty', () => {
  const cases: Array<[string, [boolean, boolean, boolean]]> = [
    ['', [true, true, true]],
    ['metadata.name=a', [true, false, false]],
    ['metadata.name==a', [true, false, false]],
    ['metadata.name!=a', [false, true, true]],
    ['metadata.namespace=default,status.phase=Running', [true, false, false]],
    ['spec.nodeName=node-1', [true, false, false]],
    ['spec.nodeName=', [false, true, true]],
    ['spec.nodeName!=', [true, false, false]],
    ['spec.serviceAccountName=sa', [true, false, false]],
    ['status.phase!=Running', [false, true, true]],
    ['involvedObject.name=a', [false, false, true]],
    ['involvedObject.kind=Pod,metadata.name=e', [false, false, true]],
    ['spec.priority=0', [true, false, false]],
    ['metadata.name=b\\,x\\=y', [false, true, false]],
    ['metadata.name=a\\\\', [false, false, false]],
    ['spec.missing.deeper=', [true, true, true]],
    ['spec=', [true, true, true]],
    ['metadata.constructor=', [true, true, true]],
  ];
  for (const [selector, want] of cases) {
    const p = parseFieldSelector(selector);
    assert.deepEqual([p(podA), p(podB), p(event)], want, selector);
  }
});

test('malformed field selectors are 400', () => {
  const cases: Array<[string, string]> = [
    ['metadata.name', 'expected one of'],
    ['metadata.name=a=b', "unescaped '='"],
    ['metadata.name=a\\x', 'escape'],
    ['metadata.name=a\\', 'escape'],
    ['=a', 'field path'],
    ['metadata..name=a', 'metadata..name'],
    ['metadata.name=a,status.phase', 'status.phase'],
  ];
  for (const [selector, fragment] of cases) rejects(() => parseFieldSelector(selector), 400, fragment);
});
