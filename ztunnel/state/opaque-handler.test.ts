// The Authorization handler until policies are decoded: held whole, versions reported, bad pushes refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTHORIZATION_TYPE_URL, type XdsResource } from '../../pkg/xds/types';
import { OpaqueHandler } from './opaque-handler';

const policy = (name: string, version = '1', typeUrl = AUTHORIZATION_TYPE_URL): XdsResource =>
  ({ name, version, aliases: [], resource: { typeUrl, value: Buffer.from(name) } });

test('resources are held by name with their versions; removals of unknown names are fine', () => {
  const h = new OpaqueHandler(AUTHORIZATION_TYPE_URL);
  assert.deepEqual(h.apply({ resources: [policy('shop/b'), policy('shop/a', '7')], removed: ['shop/never'] }), { ok: true });
  assert.deepEqual(h.resources().map((r) => [r.name, r.version, r.value.toString()]), [['shop/a', '7', 'shop/a'], ['shop/b', '1', 'shop/b']]);
  assert.deepEqual(h.apply({ resources: [policy('shop/a', '8')], removed: ['shop/b'] }), { ok: true });
  assert.deepEqual([...h.versions()], [['shop/a', '8']]);
  assert.equal(h.applied, 2);
});

test('a push with a wrongly typed, nameless or repeated resource is refused whole', () => {
  const h = new OpaqueHandler(AUTHORIZATION_TYPE_URL);
  h.apply({ resources: [policy('shop/a')], removed: [] });
  const result = h.apply({ resources: [policy('shop/b'), policy('shop/b'), policy(''), policy('shop/c', '1', 'type.googleapis.com/other')], removed: ['shop/a'] });
  assert.equal(result.ok, false);
  assert.equal(result.ok ? '' : result.error, '"shop/b": sent twice in one response; a resource has no name; "shop/c": type "type.googleapis.com/other" is not type.googleapis.com/istio.security.Authorization');
  assert.deepEqual([...h.versions()], [['shop/a', '1']]);
});
