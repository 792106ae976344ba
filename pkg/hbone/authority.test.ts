// Tables of good and hostile `:authority` values, and the address helpers behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthority, parseAuthority, unmapIpv4 } from './authority';

test('parseAuthority accepts IPv4, bracketed IPv6 and hostnames with a port', () => {
  const good: [string, string, string, number][] = [
    ['198.18.1.5:8080', 'ipv4', '198.18.1.5', 8080],
    ['0.0.0.0:1', 'ipv4', '0.0.0.0', 1],
    ['255.255.255.255:65535', 'ipv4', '255.255.255.255', 65535],
    ['[2001:db8::5]:8080', 'ipv6', '2001:db8::5', 8080],
    ['[2001:DB8:0:0:0:0:0:5]:443', 'ipv6', '2001:db8::5', 443],
    ['[::1]:15008', 'ipv6', '::1', 15008],
    ['[::ffff:198.18.0.7]:80', 'ipv4', '198.18.0.7', 80],
    ['reviews.shop.svc.cluster.local:9080', 'hostname', 'reviews.shop.svc.cluster.local', 9080],
    ['Reviews.Shop.svc:9080', 'hostname', 'reviews.shop.svc', 9080],
    ['localhost:80', 'hostname', 'localhost', 80],
    ['a-b.c1:1', 'hostname', 'a-b.c1', 1],
    ['1password.example:443', 'hostname', '1password.example', 443],
  ];
  for (const [text, kind, host, port] of good) {
    assert.deepEqual(parseAuthority(text), { kind, host, port }, text);
  }
});

test('parseAuthority refuses malformed and hostile authorities', () => {
  const bad = [
    '',
    '198.18.1.5',
    '198.18.1.5:',
    '198.18.1.5:0',
    '198.18.1.5:65536',
    '198.18.1.5:99999999999',
    '198.18.1.5:080',
    '198.18.1.5:+80',
    '198.18.1.5:-1',
    '198.18.1.5:8o',
    '198.18.1.5:0x50',
    '198.18.1.5: 80',
    ' 198.18.1.5:80',
    '198.18.1.5:80 ',
    '198.018.1.5:80',
    '0198.18.1.5:80',
    '256.18.1.5:80',
    '198.18.1:80',
    '198.18.1.5.6:80',
    '0x7f.0.0.1:80',
    '0x7f000001:80',
    '2130706433:80',
    '017700000001:80',
    'user@198.18.1.5:80',
    'user:pw@host.example:80',
    '198.18.1.5:80/path',
    'host.example:80?x=1',
    'host.example:80#frag',
    'host%2eexample:80',
    'host\\example:80',
    ':80',
    '[]:80',
    '[2001:db8::5]',
    '[2001:db8::5]:',
    '[2001:db8::5]80',
    '2001:db8::5:80',
    '[2001:db8::5%eth0]:80',
    '[fe80::1%25eth0]:80',
    '[not-an-ip]:80',
    '[198.18.1.5]:80',
    '[[2001:db8::5]]:80',
    'host_name.example:80',
    '-host.example:80',
    'host-.example:80',
    'host..example:80',
    'host.example.:80',
    '.host.example:80',
    'host.123:80',
    `${'a'.repeat(64)}.example:80`,
    `${'abc.'.repeat(70)}example:80`,
    `${'a'.repeat(301)}`,
    'h\u00e9st.example:80',
    'host\texample:80',
    'host.example:80\r\n',
    'host.example\u0000:80',
  ];
  for (const text of bad) {
    assert.equal(parseAuthority(text), undefined, JSON.stringify(text));
  }
});

test('formatAuthority brackets IPv6 only and round-trips through parseAuthority', () => {
  assert.equal(formatAuthority('198.18.0.1', 80), '198.18.0.1:80');
  assert.equal(formatAuthority('2001:db8::1', 443), '[2001:db8::1]:443');
  assert.equal(formatAuthority('reviews.shop.svc.cluster.local', 9080), 'reviews.shop.svc.cluster.local:9080');
  for (const [host, port] of [['198.18.3.4', 15008], ['2001:db8::ff', 1], ['svc.example', 65535]] as const) {
    const parsed = parseAuthority(formatAuthority(host, port));
    assert.equal(parsed?.host, host);
    assert.equal(parsed?.port, port);
  }
});

test('unmapIpv4 unwraps IPv4-mapped IPv6 and leaves everything else alone', () => {
  assert.equal(unmapIpv4('::ffff:198.18.0.1'), '198.18.0.1');
  assert.equal(unmapIpv4('::FFFF:198.18.0.1'), '198.18.0.1');
  assert.equal(unmapIpv4('::ffff:c612:1'), '198.18.0.1');
  assert.equal(unmapIpv4('198.18.0.1'), '198.18.0.1');
  assert.equal(unmapIpv4('2001:db8::1'), '2001:db8::1');
  assert.equal(unmapIpv4('::1'), '::1');
  assert.equal(unmapIpv4(''), '');
});
