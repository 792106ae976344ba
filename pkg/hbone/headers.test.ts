// forwarded / baggage / traceparent: what a peer sends, what we read back, and hostile inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_BAGGAGE_ENTRIES,
  buildBaggage,
  buildForwarded,
  isValidTraceparent,
  newTraceparent,
  parseBaggage,
  parseForwarded,
} from './headers';

test('buildForwarded writes the source address, bracketing IPv6, with an optional host', () => {
  assert.equal(buildForwarded('198.18.1.5', 40000), 'for="198.18.1.5:40000"');
  assert.equal(buildForwarded('2001:db8::5', 40000), 'for="[2001:db8::5]:40000"');
  assert.equal(buildForwarded('::ffff:198.18.1.5', 1), 'for="198.18.1.5:1"');
  assert.equal(buildForwarded('198.18.1.5', 40000, 'reviews.shop.svc.cluster.local'), 'for="198.18.1.5:40000";host=reviews.shop.svc.cluster.local');
});

test('parseForwarded reads what buildForwarded writes and the RFC 7239 variants', () => {
  const cases: [string, object | undefined][] = [
    ['for="198.18.1.5:40000"', { forAddress: '198.18.1.5', forPort: 40000 }],
    ['for="[2001:db8::5]:40000"', { forAddress: '2001:db8::5', forPort: 40000 }],
    ['for="198.18.1.5:40000";host=reviews.shop.svc.cluster.local', { forAddress: '198.18.1.5', forPort: 40000, host: 'reviews.shop.svc.cluster.local' }],
    ['For=198.18.1.5;Host=Reviews.Shop', { forAddress: '198.18.1.5', host: 'reviews.shop' }],
    ['for="[2001:db8::5]"', { forAddress: '2001:db8::5' }],
    ['for="198.18.1.5:1", for="198.18.9.9:2"', { forAddress: '198.18.1.5', forPort: 1 }],
    ['host=svc.example', { host: 'svc.example' }],
    ['proto=https;for="198.18.1.5:7"', { forAddress: '198.18.1.5', forPort: 7 }],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseForwarded(text), want, text);
});

test('parseForwarded drops malformed parts instead of failing', () => {
  const bad = [
    undefined,
    '',
    'for=unknown',
    'for=_hidden',
    'for="198.18.1.5:0"',
    'for="198.18.1.5:99999"',
    'for="[2001:db8::5]:x"',
    'for="2001:db8::5"',
    'for="198.18.1.5',
    'for="a\\"b"',
    'host=bad_host!',
    'garbage',
    `for="198.18.1.5:1";host=${'a'.repeat(2000)}`,
  ];
  for (const text of bad) assert.equal(parseForwarded(text), undefined, String(text));
  assert.deepEqual(parseForwarded('for="198.18.1.5:1";host=bad_host'), { forAddress: '198.18.1.5', forPort: 1 });
});

test('baggage round-trips, omits empty values and encodes unsafe characters', () => {
  const header = buildBaggage([
    ['k8s.cluster.name', 'Kubernetes'],
    ['k8s.namespace.name', 'shop'],
    ['k8s.deployment.name', 'reviews-v1'],
    ['service.name', 'reviews'],
    ['service.version', 'v1'],
    ['cloud.region', ''],
    ['cloud.availability_zone', undefined],
    ['odd', 'a b,c;d=e%'],
  ]);
  assert.equal(
    header,
    'k8s.cluster.name=Kubernetes,k8s.namespace.name=shop,k8s.deployment.name=reviews-v1,service.name=reviews,service.version=v1,odd=a%20b%2Cc%3Bd%3De%25',
  );
  const parsed = parseBaggage(header);
  assert.equal(parsed.get('k8s.namespace.name'), 'shop');
  assert.equal(parsed.get('odd'), 'a b,c;d=e%');
  assert.equal(parsed.has('cloud.region'), false);
  assert.equal(parsed.size, 6);
});

test('parseBaggage tolerates whitespace and properties, skips bad members, and is bounded', () => {
  const parsed = parseBaggage(' a = 1 ;prop=x , b=2,=3,c,d=%zz,e=has space,f="q",a=dup, g=ok');
  assert.deepEqual([...parsed], [['a', '1'], ['b', '2'], ['g', 'ok']]);
  const many = Array.from({ length: 500 }, (_, i) => `k${i}=v${i}`).join(',');
  assert.equal(parseBaggage(many).size, MAX_BAGGAGE_ENTRIES);
  assert.equal(parseBaggage(`k=${'v'.repeat(9000)}`).size, 0);
  assert.equal(parseBaggage(undefined).size, 0);
  assert.equal(parseBaggage('').size, 0);
});

test('newTraceparent makes valid, distinct W3C traceparents', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const tp = newTraceparent();
    assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.ok(isValidTraceparent(tp));
    seen.add(tp);
  }
  assert.equal(seen.size, 100);
});

test('isValidTraceparent refuses malformed values', () => {
  const id = '0af7651916cd43dd8448eb211c80319c';
  const parent = 'b7ad6b7169203331';
  assert.ok(isValidTraceparent(`00-${id}-${parent}-01`));
  assert.ok(isValidTraceparent(`01-${id}-${parent}-01-future`));
  const bad = [
    undefined,
    '',
    `00-${id}-${parent}-01-extra`,
    `ff-${id}-${parent}-01`,
    `00-${'0'.repeat(32)}-${parent}-01`,
    `00-${id}-${'0'.repeat(16)}-01`,
    `00-${id.toUpperCase()}-${parent}-01`,
    `00-${id.slice(1)}-${parent}-01`,
    `00_${id}_${parent}_01`,
    `00-${id}-${parent}-1`,
    `00-${id}-${parent}-01`.padEnd(600, 'x'),
  ];
  for (const text of bad) assert.equal(isValidTraceparent(text), false, String(text));
});
