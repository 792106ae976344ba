// Tests for SPIFFE ID parsing/formatting: the SPIFFE-ID checklist (hardening.md §1E) as a table of
// accepted and rejected IDs, the Istio /ns/<ns>/sa/<sa> form, and format/parse round trips.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../errors/mesh-error';
import {
  MAX_SPIFFE_ID_BYTES, formatSpiffeId, parseSpiffeId, parseSpiffeUri, principalOf, sameIdentity, spiffeId, tryParseSpiffeId,
} from './spiffe';

const VALID_WORKLOAD_IDS: readonly [string, string, string, string][] = [
  ['spiffe://cluster.local/ns/default/sa/default', 'cluster.local', 'default', 'default'],
  ['spiffe://example.org/ns/shop/sa/product-page', 'example.org', 'shop', 'product-page'],
  ['spiffe://td_1.example-2/ns/a/sa/b', 'td_1.example-2', 'a', 'b'],
  ['spiffe://cluster.local/ns/kube-system/sa/ztunnel.v2', 'cluster.local', 'kube-system', 'ztunnel.v2'],
  ['spiffe://x/ns/0ns/sa/9', 'x', '0ns', '9'],
];

test('valid Istio identities parse into their parts', () => {
  for (const [uri, trustDomain, namespace, serviceAccount] of VALID_WORKLOAD_IDS) {
    assert.deepEqual({ ...parseSpiffeId(uri) }, { trustDomain, namespace, serviceAccount }, uri);
  }
});

/** [uri, a fragment the error message must contain] */
const INVALID_IDS: readonly [string, RegExp][] = [
  ['', /scheme/],
  ['http://cluster.local/ns/a/sa/b', /scheme/],
  ['SPIFFE://cluster.local/ns/a/sa/b', /scheme/],
  ['spiffe:/cluster.local/ns/a/sa/b', /scheme/],
  ['spiffe://Cluster.local/ns/a/sa/b', /trust domain/],
  ['spiffe://CLUSTER.LOCAL/ns/a/sa/b', /trust domain/],
  ['spiffe://cluster.local:8080/ns/a/sa/b', /trust domain/],
  ['spiffe://user@cluster.local/ns/a/sa/b', /trust domain/],
  ['spiffe://user:pw@cluster.local/ns/a/sa/b', /trust domain/],
  ['spiffe:///ns/a/sa/b', /trust domain is empty/],
  ['spiffe://', /trust domain is empty/],
  ['spiffe://clu ster.local/ns/a/sa/b', /trust domain/],
  ['spiffe://[2001:db8::1]/ns/a/sa/b', /trust domain/],
  ['spiffe://198.18.0.1:443/ns/a/sa/b', /trust domain/],
  ['spiffe://cluster.local/ns//sa/b', /empty path segments/],
  ['spiffe://cluster.local/ns/a/sa/', /empty path segments/],
  ['spiffe://cluster.local/ns/a/sa/b/', /empty path segments/],
  ['spiffe://cluster.local//ns/a/sa/b', /empty path segments/],
  ['spiffe://cluster.local/ns/./sa/b', /"\." and "\.\."/],
  ['spiffe://cluster.local/ns/../sa/b', /"\." and "\.\."/],
  ['spiffe://cluster.local/ns/a/sa/..', /"\." and "\.\."/],
  ['spiffe://cluster.local/ns/a%2Fb/sa/c', /percent-encoding/],
  ['spiffe://cluster%2elocal/ns/a/sa/b', /percent-encoding/],
  ['spiffe://cluster.local/ns/a/sa/b?x=1', /query or fragment/],
  ['spiffe://cluster.local/ns/a/sa/b#frag', /query or fragment/],
  ['spiffe://cluster.local?ns=a', /query or fragment/],
  ['spiffe://cluster.local/ns/a b/sa/c', /characters outside/],
  ['spiffe://cluster.local/ns/a/sa/b\u0000c', /characters outside/],
  ['spiffe://cluster.local/ns/ä/sa/b', /characters outside/],
  ['spiffe://cluster.local', /exactly \/ns\/<namespace>\/sa\/<service-account>/],
  ['spiffe://cluster.local/ns/a', /exactly \/ns/],
  ['spiffe://cluster.local/ns/a/sa/b/extra', /exactly \/ns/],
  ['spiffe://cluster.local/ns/a/sa/b/c/d', /exactly \/ns/],
  ['spiffe://cluster.local/sa/b/ns/a', /exactly \/ns/],
  ['spiffe://cluster.local/NS/a/sa/b', /exactly \/ns/],
  ['spiffe://cluster.local/ns/Shop/sa/b', /not a valid namespace/],
  ['spiffe://cluster.local/ns/-shop/sa/b', /not a valid namespace/],
  ['spiffe://cluster.local/ns/shop-/sa/b', /not a valid namespace/],
  ['spiffe://cluster.local/ns/sh.op/sa/b', /not a valid namespace/],
  ['spiffe://cluster.local/ns/sh_op/sa/b', /not a valid namespace/],
  [`spiffe://cluster.local/ns/${'a'.repeat(64)}/sa/b`, /not a valid namespace/],
  ['spiffe://cluster.local/ns/a/sa/Default', /not a valid service account/],
  ['spiffe://cluster.local/ns/a/sa/.sa', /not a valid service account/],
  ['spiffe://cluster.local/ns/a/sa/sa.', /not a valid service account/],
  ['spiffe://cluster.local/ns/a/sa/s_a', /not a valid service account/],
  [`spiffe://${'a'.repeat(256)}/ns/a/sa/b`, /longer than 255 bytes/],
  [`spiffe://cluster.local/ns/a/sa/${'b'.repeat(MAX_SPIFFE_ID_BYTES)}`, /longer than 2048 bytes/],
];

test('invalid IDs are rejected with InvalidArgument and a message saying why', () => {
  for (const [uri, why] of INVALID_IDS) {
    assert.throws(() => parseSpiffeId(uri), (err: unknown) => {
      assert.ok(isMeshError(err, 'InvalidArgument'), `${JSON.stringify(uri)} threw ${String(err)}`);
      assert.match(err.message, why, JSON.stringify(uri));
      return true;
    }, JSON.stringify(uri));
    assert.equal(tryParseSpiffeId(uri), undefined, JSON.stringify(uri));
  }
});

test('a very long ID is shown shortened in the error message', () => {
  const uri = `spiffe://cluster.local/ns/a/sa/${'b'.repeat(5000)}`;
  assert.throws(() => parseSpiffeId(uri), (err: unknown) => isMeshError(err) && err.message.length < 400);
});

test('generic SPIFFE IDs: trust-domain IDs and any path, but still strict', () => {
  assert.deepEqual(parseSpiffeUri('spiffe://cluster.local'), { trustDomain: 'cluster.local', segments: [] });
  assert.deepEqual(parseSpiffeUri('spiffe://example.org/Path/To_Thing-1.0'), { trustDomain: 'example.org', segments: ['Path', 'To_Thing-1.0'] });
  assert.throws(() => parseSpiffeUri('spiffe://cluster.local/'), /empty path segments/);
  assert.throws(() => parseSpiffeUri('spiffe://example.org/a/../b'), /"\." and "\.\."/);
  // Exactly at the limit is accepted, one byte over is not.
  const prefix = 'spiffe://example.org/';
  const atLimit = prefix + 'p'.repeat(MAX_SPIFFE_ID_BYTES - prefix.length);
  assert.equal(parseSpiffeUri(atLimit).segments[0]?.length, MAX_SPIFFE_ID_BYTES - prefix.length);
  assert.throws(() => parseSpiffeUri(atLimit + 'p'), /longer than 2048 bytes/);
});

test('format and parse round-trip; spiffeId validates its parts', () => {
  for (const [uri] of VALID_WORKLOAD_IDS) {
    const id = parseSpiffeId(uri);
    assert.equal(formatSpiffeId(id), uri);
    assert.ok(sameIdentity(parseSpiffeId(formatSpiffeId(id)), id));
  }
  const id = spiffeId('cluster.local', 'shop', 'reviews');
  assert.equal(formatSpiffeId(id), 'spiffe://cluster.local/ns/shop/sa/reviews');
  assert.equal(principalOf(id), 'cluster.local/ns/shop/sa/reviews');
  assert.ok(Object.isFrozen(id));
  assert.throws(() => spiffeId('cluster.local', 'shop/sa/x', 'y'), /exactly \/ns/);
  assert.throws(() => spiffeId('Cluster.local', 'a', 'b'), /trust domain/);
  assert.throws(() => spiffeId('cluster.local', 'a', ''), /empty path segments/);
});

test('sameIdentity compares all three parts', () => {
  const a = spiffeId('cluster.local', 'shop', 'reviews');
  assert.ok(sameIdentity(a, spiffeId('cluster.local', 'shop', 'reviews')));
  assert.ok(!sameIdentity(a, spiffeId('other.local', 'shop', 'reviews')));
  assert.ok(!sameIdentity(a, spiffeId('cluster.local', 'shop2', 'reviews')));
  assert.ok(!sameIdentity(a, spiffeId('cluster.local', 'shop', 'reviews2')));
});
