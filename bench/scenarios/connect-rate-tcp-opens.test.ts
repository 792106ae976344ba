import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appConnectionsSeen, handshakeVerdict, opensBetween, parseTcpSnmp, readTcpOpens, tunnelConnectionsOpened } from './connect-rate-tcp-opens';

const SNMP = [
  'Ip: Forwarding DefaultTTL InReceives',
  'Ip: 1 64 100',
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors',
  'Tcp: 1 200 120000 -1 1200 3400 2 5 7 100000 90000 0 0 10 0',
  'Udp: InDatagrams',
  'Udp: 5',
].join('\n');

test('reads ActiveOpens and PassiveOpens from /proc/net/snmp text', () => {
  assert.deepEqual(parseTcpSnmp(SNMP), { activeOpens: 1200, passiveOpens: 3400 });
  assert.equal(parseTcpSnmp('Ip: a\nIp: 1\n'), undefined);
});

test('reads this process\'s own namespace', async () => {
  const snaps = await readTcpOpens([{ name: 'me', pid: process.pid }, { name: 'me-again', pid: process.pid }, { name: 'gone', pid: 2 ** 22 + 1 }]);
  assert.equal(snaps.length, 1);
  assert.deepEqual(snaps[0].processes, ['me', 'me-again']);
  assert.match(snaps[0].netns, /^net:\[\d+\]$/);
});

const snap = (netns: string, processes: string[], activeOpens: number, passiveOpens: number) => ({ netns, processes, counters: { activeOpens, passiveOpens } });

test('a pooled tunnel: app connections in, (almost) no tunnel connections out', () => {
  const opens = opensBetween(
    [snap('net:[1]', ['ztunnel-node1'], 10, 20), snap('net:[2]', ['ztunnel-node2'], 30, 40)],
    [snap('net:[1]', ['ztunnel-node1'], 11, 1020), snap('net:[2]', ['ztunnel-node2'], 1030, 41)],
  );
  assert.deepEqual(opens, [
    { processes: ['ztunnel-node1'], activeOpens: 1, passiveOpens: 1000 },
    { processes: ['ztunnel-node2'], activeOpens: 1000, passiveOpens: 1 },
  ]);
  assert.equal(tunnelConnectionsOpened(opens), 1);
  assert.equal(appConnectionsSeen(opens), 1000);
  assert.equal(handshakeVerdict(1, 1000), 'pooled');
});

test('a tunnel per connection shows both directions in both namespaces', () => {
  const opens = [{ processes: ['stunnel-client'], activeOpens: 1000, passiveOpens: 1000 }, { processes: ['stunnel-server'], activeOpens: 1000, passiveOpens: 1001 }];
  assert.equal(tunnelConnectionsOpened(opens), 1000);
  assert.equal(handshakeVerdict(1000, 1000), 'per-connection');
  assert.equal(handshakeVerdict(300, 1000), 'partial');
  assert.equal(handshakeVerdict(null, 1000), 'no-evidence');
  assert.equal(tunnelConnectionsOpened([]), null);
});
