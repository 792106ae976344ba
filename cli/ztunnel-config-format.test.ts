// `ambit ztunnel-config` output as a user reads it: each section's table (columns aligned, rows
// sorted, "-" for what the agent did not say), the JSON of a section exactly as the agent sent
// it, a dump with missing or odd fields, and what a non-JSON answer turns into.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentFixture, type AgentFixture } from './ztunnel-config-fixture';
import { formatConfig, parseConfigDump, renderTable, rulesSummary, type ConfigDump } from './ztunnel-config-format';

let fixture: AgentFixture;
let dump: ConfigDump;

before(async () => {
  fixture = await agentFixture();
  dump = fixture.dump();
});

after(() => fixture.close());

/** A table's lines split into cells on runs of 2+ spaces. */
function cells(output: string): string[][] {
  return output.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
}

/** Every column starts at the same offset in every line. */
function assertAligned(output: string): void {
  const lines = output.trimEnd().split('\n');
  const starts = [...lines[0].matchAll(/(?:^|(?<= {2}))\S/g)].map((m) => m.index);
  for (const line of lines.slice(1)) {
    for (const s of starts.slice(1)) assert.match(line.slice(s - 2, s + 1), /^ {2}\S$/, `column at ${s} in ${JSON.stringify(line)}`);
    assert.equal(line, line.trimEnd(), 'no trailing blanks');
  }
}

test('workloads: one aligned row per workload, sorted, with protocol, waypoint and SPIFFE identity', () => {
  const out = formatConfig(dump, 'workloads', 'table');
  assertAligned(out);
  assert.deepEqual(cells(out), [
    ['NAMESPACE', 'NAME', 'ADDRESS', 'NODE', 'WAYPOINT', 'PROTOCOL', 'STATUS', 'IDENTITY'],
    ['legacy', 'legacy-1', '198.18.1.9', 'node1', '-', 'TCP', 'HEALTHY', 'spiffe://cluster.local/ns/legacy/sa/default'],
    ['shop', 'cart-1', '198.18.1.5', 'node1', 'waypoint', 'HBONE', 'HEALTHY', 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['shop', 'cart-2', '198.18.2.6', 'node2', '-', 'HBONE', 'UNHEALTHY', 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['web', 'web-1', '198.18.1.7,fd00::7', 'node1', 'shop/waypoint', 'HBONE', 'HEALTHY', 'spiffe://cluster.local/ns/web/sa/web'],
  ]);
});

test('services: hostname, VIPs, waypoint and healthy/total endpoints', () => {
  const out = formatConfig(dump, 'services', 'table');
  assertAligned(out);
  assert.deepEqual(cells(out), [
    ['NAMESPACE', 'NAME', 'VIP', 'WAYPOINT', 'ENDPOINTS'],
    ['data', 'db.data.svc.cluster.local', '-', '-', '0/0'],
    ['shop', 'cart.shop.svc.cluster.local', '198.19.0.10', 'waypoint', '1/2'],
  ]);
});

test('policies: action, scope, dry-run and a short summary of the rules', () => {
  const out = formatConfig(dump, 'policies', 'table');
  assertAligned(out);
  assert.deepEqual(cells(out), [
    ['NAMESPACE', 'NAME', 'ACTION', 'SCOPE', 'DRY-RUN', 'RULES'],
    ['istio-system', 'istio_converted_static_strict', 'DENY', 'GLOBAL', 'no', '1 rule: not principals'],
    ['shop', 'allow-web', 'ALLOW', 'WORKLOAD_SELECTOR', 'no', '1 rule: namespaces, ports'],
    ['shop', 'try-deny', 'DENY', 'NAMESPACE', 'yes', '0 rules'],
  ]);
  assert.equal(rulesSummary([{ clauses: [] }, { clauses: [] }]), '2 rules');
  assert.equal(rulesSummary('nonsense'), '-');
});

test('certificates: leaf and root of an issued identity with serial and expiry; a failed one with dashes', () => {
  const out = formatConfig(dump, 'certificates', 'table');
  assertAligned(out);
  const cart = (dump.certificates as { identity: string; certChain: { serialNumber: string; expirationTime: string }[]; rootCerts: { serialNumber: string; expirationTime: string }[] }[])
    .find((c) => c.identity.endsWith('/sa/cart'))!;
  assert.deepEqual(cells(out), [
    ['IDENTITY', 'STATE', 'TYPE', 'SERIAL', 'NOT AFTER'],
    ['spiffe://cluster.local/ns/shop/sa/broken', 'unavailable', '-', '-', '-'],
    ['spiffe://cluster.local/ns/shop/sa/cart', 'available', 'leaf', cart.certChain[0].serialNumber, cart.certChain[0].expirationTime],
    ['spiffe://cluster.local/ns/shop/sa/cart', 'available', 'root', cart.rootCerts[0].serialNumber, cart.rootCerts[0].expirationTime],
  ]);
  assert.match(cart.certChain[0].serialNumber, /^[0-9a-f]+$/);
});

test('all: the four tables one after another under their titles', () => {
  const out = formatConfig(dump, 'all', 'table');
  const blocks = out.split('\n\n');
  assert.deepEqual(blocks.map((b) => b.split('\n')[0]), ['WORKLOADS', 'SERVICES', 'POLICIES', 'CERTIFICATES']);
  assert.equal(blocks[1], `SERVICES\n${formatConfig(dump, 'services', 'table').trimEnd()}`);
});

test('-o json prints the selected section exactly as the agent reported it; all prints the whole dump', () => {
  for (const section of ['workloads', 'services', 'policies', 'certificates'] as const) {
    assert.deepEqual(JSON.parse(formatConfig(dump, section, 'json')), dump[section]);
  }
  assert.deepEqual(JSON.parse(formatConfig(dump, 'all', 'json')), dump);
  const policies = JSON.parse(formatConfig(dump, 'policies', 'json')) as { name: string; rules: unknown[] }[];
  assert.equal(policies.find((p) => p.name === 'allow-web')?.rules.length, 1);
  assert.ok(formatConfig(dump, 'workloads', 'json').endsWith(']\n'));
});

test('missing, empty or odd fields show as "-" and never crash', () => {
  const odd: ConfigDump = {
    workloads: [{}, null, 'x', { name: 'w', namespace: 'n', addresses: 'not-a-list', tunnelProtocol: 'FANCY', waypoint: { kind: 'weird' }, status: 7 }],
    services: [{ hostname: 'h', addresses: [{ network: 'net1', address: '198.19.0.1' }, {}], waypoint: { kind: 'address', address: { network: '', address: '198.18.1.20' }, hboneMtlsPort: 15008 } }],
    policies: [{ name: 'p', rules: [{ clauses: 'x' }], dryRun: 'maybe' }],
    certificates: [{ identity: 'spiffe://td/ns/a/sa/b', certChain: [{}], rootCerts: 'none' }, {}],
  };
  const rows = (s: 'workloads' | 'services' | 'policies' | 'certificates'): string[][] => cells(formatConfig(odd, s, 'table')).slice(1);
  assert.deepEqual(rows('workloads'), [
    ['-', '-', '-', '-', '-', '-', '-', '-'],
    ['-', '-', '-', '-', '-', '-', '-', '-'],
    ['-', '-', '-', '-', '-', '-', '-', '-'],
    ['n', 'w', '-', '-', '-', 'FANCY', '7', '-'],
  ]);
  assert.deepEqual(rows('services'), [['-', 'h', 'net1/198.19.0.1', '198.18.1.20:15008', '-']]);
  assert.deepEqual(rows('policies'), [['-', 'p', '-', '-', '-', '1 rule']]);
  assert.deepEqual(rows('certificates'), [['spiffe://td/ns/a/sa/b', '-', 'leaf', '-', '-'], ['-', '-', '-', '-', '-']]);
  const empty: ConfigDump = { workloads: 'broken' };
  assert.equal(formatConfig(empty, 'workloads', 'table'), 'NAMESPACE  NAME  ADDRESS  NODE  WAYPOINT  PROTOCOL  STATUS  IDENTITY\n');
  assert.equal(formatConfig(empty, 'policies', 'json'), 'null\n');
});

test('terminal control characters in names are shown as "?"', () => {
  const out = formatConfig({ workloads: [{ name: 'evil\u001b[2J\nname', namespace: 'ns\u202e' }] }, 'workloads', 'table');
  assert.equal(out.split('\n').length, 3);
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u001f\u202e]/.test(out.replace(/\n/g, '')));
  assert.match(out, /evil\?\[2J\?name/);
});

test('renderTable pads to the widest cell', () => {
  assert.equal(renderTable({ headers: ['A', 'BB'], rows: [['long', 'x'], ['s', 'yyy']] }), 'A     BB\nlong  x\ns     yyy\n');
});

test('a non-JSON or non-object answer is a one-line error naming the agent', () => {
  assert.throws(() => parseConfigDump('<html>oops</html>', 'the node agent at http://h:1'), (err: Error) => {
    assert.match(err.message, /^the node agent at http:\/\/h:1 answered with something that is not JSON \(<html>oops<\/html>\): /);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  assert.throws(() => parseConfigDump('', 'agent'), /agent answered with something that is not JSON \(an empty body\)/);
  assert.throws(() => parseConfigDump('[1,2]', 'agent'), /agent answered with JSON that is not a config dump/);
  assert.deepEqual(parseConfigDump('{"workloads":[]}', 'agent'), { workloads: [] });
});
