// The rendered capture rule set: the exact rules (golden), which workloads are captured, the
// connections of the node's host (kubelet probes) left alone, and the addresses and settings that
// are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Workload } from '../../pkg/api/workload-types';
import { isMeshError } from '../../pkg/errors/mesh-error';
import { renderRestoreText } from './iptables-plan';
import { normalizeIpv4Cidr, parseDefaultGateways } from './host-sources';
import { capturedAddresses, renderCaptureRules } from './rules';

const SETTINGS = { nodeName: 'node-1', ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 } };

const TPROXY = (port: number) => `-j TPROXY --on-port ${port} --on-ip 127.0.0.1 --tproxy-mark 0x100/0x100`;

test('the full rule set for two pods, as iptables-restore input', () => {
  const text = renderRestoreText(renderCaptureRules(SETTINGS, ['198.18.1.10', '198.18.1.9']));
  assert.equal(text, [
    '*mangle',
    ':ZTUNNEL-PRERT - [0:0]',
    ':ZTUNNEL-OUTPUT - [0:0]',
    ':ZTUNNEL-OUTBOUND - [0:0]',
    ':ZTUNNEL-INBOUND - [0:0]',
    '-I OUTPUT 1 -j ZTUNNEL-OUTPUT',
    '-I PREROUTING 1 -j ZTUNNEL-PRERT',
    '-A ZTUNNEL-PRERT -i lo -j RETURN',
    '-A ZTUNNEL-PRERT -m connmark --mark 0x100/0x100 -j MARK --set-xmark 0x100/0x100',
    '-A ZTUNNEL-PRERT -p tcp -m socket --transparent -j MARK --set-xmark 0x100/0x100',
    '-A ZTUNNEL-PRERT -m mark --mark 0x100/0x100 -j RETURN',
    '-A ZTUNNEL-PRERT -p tcp -j ZTUNNEL-OUTBOUND',
    '-A ZTUNNEL-PRERT -p tcp -j ZTUNNEL-INBOUND',
    '-A ZTUNNEL-OUTPUT -p tcp -m mark --mark 0x200/0x200 -j CONNMARK --set-xmark 0x100/0x100',
    `-A ZTUNNEL-OUTBOUND -s 198.18.1.9/32 -p tcp -m addrtype ! --dst-type LOCAL ${TPROXY(15001)}`,
    `-A ZTUNNEL-OUTBOUND -s 198.18.1.10/32 -p tcp -m addrtype ! --dst-type LOCAL ${TPROXY(15001)}`,
    `-A ZTUNNEL-INBOUND -d 198.18.1.9/32 -p tcp -m tcp --dport 15008 ${TPROXY(15008)}`,
    `-A ZTUNNEL-INBOUND -d 198.18.1.9/32 -p tcp -m tcp ! --dport 15008 ${TPROXY(15006)}`,
    `-A ZTUNNEL-INBOUND -d 198.18.1.10/32 -p tcp -m tcp --dport 15008 ${TPROXY(15008)}`,
    `-A ZTUNNEL-INBOUND -d 198.18.1.10/32 -p tcp -m tcp ! --dport 15008 ${TPROXY(15006)}`,
    'COMMIT',
    '*nat',
    ':ZTUNNEL-NAT - [0:0]',
    '-I PREROUTING 1 -j ZTUNNEL-NAT',
    '-A ZTUNNEL-NAT -m mark --mark 0x100/0x100 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n'));
});

test('policy routing: marked packets are delivered locally through table 133', () => {
  const rules = renderCaptureRules(SETTINGS, []);
  assert.deepEqual(rules.ipRule, ['pref', '32764', 'fwmark', '0x100/0x100', 'lookup', '133']);
  assert.deepEqual(rules.route, ['local', '0.0.0.0/0', 'dev', 'lo', 'table', '133']);
  // With no pod the fixed chains stay (replies to ztunnel's sockets), the per-pod chains are empty.
  assert.deepEqual(rules.tables.mangle.chains.map((c) => [c.name, c.rules.length]), [['ZTUNNEL-PRERT', 6], ['ZTUNNEL-OUTPUT', 1], ['ZTUNNEL-OUTBOUND', 0], ['ZTUNNEL-INBOUND', 0]]);
});

test('other ports from the settings end up in the TPROXY targets and the HBONE port match', () => {
  const rules = renderCaptureRules({ nodeName: 'n', ports: { outbound: 25001, inboundPlaintext: 25006, inbound: 25008 } }, ['198.18.1.9']);
  const text = renderRestoreText(rules);
  assert.match(text, /-s 198\.18\.1\.9\/32 .* --on-port 25001 /);
  assert.match(text, /-d 198\.18\.1\.9\/32 -p tcp -m tcp --dport 25008 -j TPROXY --on-port 25008 /);
  assert.match(text, /-d 198\.18\.1\.9\/32 -p tcp -m tcp ! --dport 25008 -j TPROXY --on-port 25006 /);
});

test('IPv6 addresses, the node\'s own addresses and duplicates are not captured', () => {
  const rules = renderCaptureRules(SETTINGS, ['198.18.1.9', 'fd00::9', '198.18.0.11', '198.18.1.9', '1.2.3.4; reboot'], ['198.18.0.11']);
  assert.deepEqual(rules.pods, ['198.18.1.9']);
  assert.deepEqual(rules.skipped.map((s) => s.address), ['fd00::9', '198.18.0.11', '1.2.3.4; reboot']);
  assert.match(rules.skipped[0]!.reason, /IPv6/);
  assert.match(rules.skipped[1]!.reason, /node itself/);
});

test('a port outside 1-65535 is refused with a message naming it', () => {
  assert.throws(
    () => renderCaptureRules({ nodeName: 'n', ports: { outbound: 0, inboundPlaintext: 15006, inbound: 15008 } }, []),
    (e: unknown) => isMeshError(e, 'InvalidArgument') && /outbound port 0/.test(e.message),
  );
});

function workload(name: string, node: string, tunnel: 'HBONE' | 'NONE', addresses: string[]): Workload {
  return {
    uid: `c//Pod/ns/${name}`, name, namespace: 'ns', addresses, network: '', tunnelProtocol: tunnel, trustDomain: 'cluster.local',
    serviceAccount: 'default', node, canonicalName: name, canonicalRevision: 'latest', workloadType: 'POD', workloadName: name,
    services: {}, authorizationPolicies: [], status: 'HEALTHY', clusterId: 'c',
  };
}

test('captured addresses: HBONE workloads on this node only', () => {
  const workloads = [
    workload('a', 'node-1', 'HBONE', ['198.18.1.9']),
    workload('b', 'node-1', 'NONE', ['198.18.1.10']),
    workload('c', 'node-2', 'HBONE', ['198.18.2.9']),
    workload('d', 'node-1', 'HBONE', ['198.18.1.11', 'fd00::11']),
  ];
  assert.deepEqual(capturedAddresses(workloads, 'node-1'), ['198.18.1.9', '198.18.1.11', 'fd00::11']);
});

test('connections the node\'s host opens are left alone in both directions, before any pod rule', () => {
  const rules = renderCaptureRules(SETTINGS, ['198.18.1.9'], [], ['198.18.0.1', '198.18.0.1/32', '198.18.0.77/24', 'fd00::1', 'gateway']);
  assert.deepEqual(rules.hostSources, ['198.18.0.0/24', '198.18.0.1/32']);
  assert.deepEqual(rules.skipped.map((s) => s.address), ['fd00::1', 'gateway']);
  assert.match(rules.skipped[0]!.reason, /host probe source/);
  // The conntrack original source matches the probe and the pod's replies to it; a pod's own
  // connection to the host (original source: the pod) still reaches the outbound chain.
  assert.deepEqual(rules.tables.mangle.chains[0]!.rules, [
    '-A ZTUNNEL-PRERT -i lo -j RETURN',
    '-A ZTUNNEL-PRERT -m connmark --mark 0x100/0x100 -j MARK --set-xmark 0x100/0x100',
    '-A ZTUNNEL-PRERT -p tcp -m socket --transparent -j MARK --set-xmark 0x100/0x100',
    '-A ZTUNNEL-PRERT -m mark --mark 0x100/0x100 -j RETURN',
    // As iptables-save prints them: a /32 without its length.
    '-A ZTUNNEL-PRERT -p tcp -m conntrack --ctorigsrc 198.18.0.0/24 -j RETURN',
    '-A ZTUNNEL-PRERT -p tcp -m conntrack --ctorigsrc 198.18.0.1 -j RETURN',
    '-A ZTUNNEL-PRERT -p tcp -j ZTUNNEL-OUTBOUND',
    '-A ZTUNNEL-PRERT -p tcp -j ZTUNNEL-INBOUND',
  ]);
  // Without host sources the rule set is the one above minus those lines.
  assert.deepEqual(renderCaptureRules(SETTINGS, ['198.18.1.9']).tables.mangle.chains[0]!.rules.filter((r) => r.includes('conntrack')), []);
});

test('default gateways are read from `ip -4 route show default`, ECMP next hops included', () => {
  assert.deepEqual(parseDefaultGateways('default via 198.18.0.1 dev eth0 \n'), ['198.18.0.1']);
  assert.deepEqual(parseDefaultGateways('default via 198.18.128.1 dev eth0 proto dhcp src 198.18.128.11 metric 100\n'), ['198.18.128.1']);
  assert.deepEqual(parseDefaultGateways('default proto static metric 20\n\tnexthop via 198.18.0.1 dev eth0 weight 1\n\tnexthop via 198.18.0.2 dev eth1 weight 1\n'), ['198.18.0.1', '198.18.0.2']);
  assert.deepEqual(parseDefaultGateways('default dev wg0 scope link\n'), []);
  assert.deepEqual(parseDefaultGateways(''), []);
});

test('host source CIDRs are normalised the way iptables prints them', () => {
  assert.equal(normalizeIpv4Cidr('198.18.0.1'), '198.18.0.1/32');
  assert.equal(normalizeIpv4Cidr(' 198.18.5.200/16 '), '198.18.0.0/16');
  assert.equal(normalizeIpv4Cidr('198.18.0.1/0'), '0.0.0.0/0');
  for (const bad of ['198.18.0.1/33', '198.18.0', 'fd00::1', '198.18.0.1/', '198.18.0.256', '']) assert.equal(normalizeIpv4Cidr(bad), undefined, bad);
});
