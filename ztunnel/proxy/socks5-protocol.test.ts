// SOCKS5 parsing: greetings, CONNECT requests for IPv4/IPv6/domain targets, partial input, and
// the refusals (other commands, address types, malformed names) with their reply codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOCKS_REPLY, parseGreeting, parseRequest, requestReply } from './socks5-protocol';

test('greeting: no-auth offered or not, partial input', () => {
  assert.deepEqual(parseGreeting(Buffer.from([5, 2, 2, 0])), { kind: 'ok', value: { noAuthOffered: true }, consumed: 4 });
  assert.deepEqual(parseGreeting(Buffer.from([5, 1, 2])), { kind: 'ok', value: { noAuthOffered: false }, consumed: 3 });
  assert.equal(parseGreeting(Buffer.from([5, 3, 0])).kind, 'incomplete');
  assert.equal(parseGreeting(Buffer.from([4, 1, 0])).kind, 'invalid');
  assert.equal(parseGreeting(Buffer.from([5, 0])).kind, 'invalid');
});

test('CONNECT to IPv4, IPv6 and a domain name', () => {
  const v4 = parseRequest(Buffer.from([5, 1, 0, 1, 198, 19, 0, 10, 0x23, 0x78, 0xaa]));
  assert.deepEqual(v4, { kind: 'ok', value: { kind: 'ip', address: '198.19.0.10', port: 9080 }, consumed: 10 });
  const v6bytes = Buffer.alloc(16);
  v6bytes.writeUInt16BE(0xfd00, 0);
  v6bytes.writeUInt16BE(5, 14);
  const v6 = parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 4]), v6bytes, Buffer.from([0, 80])]));
  assert.deepEqual(v6.kind === 'ok' && v6.value, { kind: 'ip', address: 'fd00::5', port: 80 });
  const name = Buffer.from('Reviews.shop.svc.cluster.local');
  const domain = parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([0x23, 0x78])]));
  assert.deepEqual(domain.kind === 'ok' && domain.value, { kind: 'domain', host: 'reviews.shop.svc.cluster.local', port: 9080 });
  const literal = Buffer.from('198.19.0.10');
  const asIp = parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 3, literal.length]), literal, Buffer.from([0, 80])]));
  assert.deepEqual(asIp.kind === 'ok' && asIp.value, { kind: 'ip', address: '198.19.0.10', port: 80 });
});

test('partial requests wait for more bytes', () => {
  const full = Buffer.from([5, 1, 0, 1, 198, 19, 0, 10, 0, 80]);
  for (let n = 0; n < full.length; n++) assert.equal(parseRequest(full.subarray(0, n)).kind, 'incomplete', String(n));
});

test('refusals carry the RFC 1928 reply code', () => {
  const bind = parseRequest(Buffer.from([5, 2, 0, 1, 1, 2, 3, 4, 0, 80]));
  assert.equal(bind.kind === 'invalid' && bind.reply, SOCKS_REPLY.commandNotSupported);
  const atyp = parseRequest(Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80]));
  assert.equal(atyp.kind === 'invalid' && atyp.reply, SOCKS_REPLY.addressTypeNotSupported);
  const bad = Buffer.from('bad name!');
  const badName = parseRequest(Buffer.concat([Buffer.from([5, 1, 0, 3, bad.length]), bad, Buffer.from([0, 80])]));
  assert.equal(badName.kind === 'invalid' && badName.reply, SOCKS_REPLY.hostUnreachable);
  const port0 = parseRequest(Buffer.from([5, 1, 0, 1, 1, 2, 3, 4, 0, 0]));
  assert.equal(port0.kind, 'invalid');
});

test('replies are ten bytes with the code in the second', () => {
  assert.deepEqual([...requestReply(SOCKS_REPLY.notAllowed)], [5, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
});
