// The Authorization handler: policies decoded and indexed, versions reported, listeners told; a
// push with a bad resource (undecodable, misnamed, wrongly typed, repeated) is refused whole and
// the policies in force stay as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAuthorization } from '../../pkg/api/authorization-codec';
import type { Authorization } from '../../pkg/api/authorization-types';
import { spiffeId } from '../../pkg/identity/spiffe';
import { AUTHORIZATION_TYPE_URL, type XdsResource } from '../../pkg/xds/types';
import { authorizeConnection } from '../policy/evaluate';
import { policy, rule } from '../policy/test-policies';
import { PolicyHandler } from './policy-handler';

const resource = (p: Authorization, version = '1', name = `${p.namespace}/${p.name}`): XdsResource =>
  ({ name, version, aliases: [], resource: { typeUrl: AUTHORIZATION_TYPE_URL, value: Buffer.from(encodeAuthorization(p)) } });

const denyAll = policy('DENY', [rule()], { name: 'deny-all' });
const allowFrontend = policy('ALLOW', [rule([{ principals: [{ kind: 'exact', value: 'cluster.local/ns/shop/sa/frontend' }] }])], { name: 'allow-frontend' });
const shop = { namespace: 'shop', authorizationPolicies: [] };
const fromFrontend = { sourceIdentity: spiffeId('cluster.local', 'shop', 'frontend'), sourceIp: '198.18.1.5', destinationIp: '198.18.2.7', destinationPort: 8080 };
const fromOther = { ...fromFrontend, sourceIdentity: spiffeId('cluster.local', 'shop', 'other') };

test('policies are decoded into the index that decides connections; removals take effect', () => {
  const h = new PolicyHandler();
  const seen: number[] = [];
  h.onChange((index) => seen.push(index.byName.size));
  assert.equal(authorizeConnection(h.index(), shop, fromOther).allowed, true, 'no policies: allowed');
  assert.deepEqual(h.apply({ resources: [resource(allowFrontend, '7')], removed: ['shop/never'] }), { ok: true });
  assert.equal(authorizeConnection(h.index(), shop, fromFrontend).allowed, true);
  assert.equal(authorizeConnection(h.index(), shop, fromOther).allowed, false);
  assert.deepEqual(h.apply({ resources: [resource(denyAll)], removed: [] }), { ok: true });
  assert.equal(authorizeConnection(h.index(), shop, fromFrontend).policy, 'shop/deny-all');
  assert.deepEqual([...h.versions()].sort(), [['shop/allow-frontend', '7'], ['shop/deny-all', '1']]);
  assert.deepEqual(h.apply({ resources: [], removed: ['shop/deny-all', 'shop/allow-frontend'] }), { ok: true });
  assert.equal(authorizeConnection(h.index(), shop, fromOther).allowed, true);
  assert.deepEqual(seen, [1, 2, 0]);
  assert.equal(h.applied, 3);
  assert.deepEqual(h.policies(), []);
});

test('a push with one bad resource is refused whole, naming each problem; the last good policies stay', () => {
  const h = new PolicyHandler();
  h.apply({ resources: [resource(denyAll)], removed: [] });
  const junk: XdsResource = { name: 'shop/junk', version: '1', aliases: [], resource: { typeUrl: AUTHORIZATION_TYPE_URL, value: Buffer.from([0x0a, 0xff]) } };
  const wrongType: XdsResource = { ...resource(allowFrontend), resource: { typeUrl: 'type.googleapis.com/other', value: Buffer.alloc(0) } };
  const result = h.apply({
    resources: [resource(allowFrontend, '1', 'shop/renamed'), junk, wrongType, resource(allowFrontend), { ...junk, name: '' }],
    removed: ['shop/deny-all'],
  });
  assert.equal(result.ok, false);
  const error = result.ok ? '' : result.error;
  assert.match(error, /"shop\/renamed": the resource name must be the policy's namespace\/name \(shop\/allow-frontend\)/);
  assert.match(error, /"shop\/junk": /);
  assert.match(error, /"shop\/allow-frontend": type "type.googleapis.com\/other" is not/);
  assert.match(error, /"shop\/allow-frontend": sent twice in one response/);
  assert.match(error, /a resource has no name/);
  assert.deepEqual([...h.versions()], [['shop/deny-all', '1']], 'the removal in the refused push did not happen');
  assert.equal(authorizeConnection(h.index(), shop, fromFrontend).allowed, false);
});
