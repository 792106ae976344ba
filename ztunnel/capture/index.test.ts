// The capture loop against an in-memory iptables/ip: rebuild at start over leftovers, following
// the state store (coalesced, one apply at a time), drift repair, retries after failures, and
// removal of everything at shutdown, and the node's host (its default gateway) left uncaptured.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../pkg/log/logger';
import { installedLeftovers, startCapture } from './index';
import { parseIptablesSave } from './iptables-plan';
import { renderCaptureRules } from './rules';
import { FakeState, FakeSystem, ambientWorkload } from './test-fakes';
import type { RunningCapture } from './types';

const NODE = 'node-1';
const SETTINGS = { nodeName: NODE, ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 } };
const A = '198.18.1.9';
const B = '198.18.1.10';
const OPTIONS = { coalesceMs: 5, resyncMs: 60_000, retryInitialMs: 5, retryMaxMs: 20 };

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `gave up waiting for ${what}`);
}

/** The fake's rules, compared with the rendered ones chain by chain (order-free within a chain). */
async function assertInstalled(system: FakeSystem, pods: string[]): Promise<void> {
  const want = renderCaptureRules(SETTINGS, pods);
  const saved = parseIptablesSave(await system.iptablesSave());
  for (const table of ['mangle', 'nat'] as const) {
    const ours = [...saved[table]!.keys()].filter((c) => c.startsWith('ZTUNNEL-')).sort();
    assert.deepEqual(ours, want.tables[table].chains.map((c) => c.name).sort());
    for (const c of want.tables[table].chains) assert.deepEqual([...saved[table]!.get(c.name)!].sort(), [...c.rules].sort(), c.name);
    for (const j of want.tables[table].jumps) {
      assert.equal(saved[table]!.get(j.from)![0], `-A ${j.from} -j ${j.to}`);
      assert.equal(saved[table]!.get(j.from)!.filter((r) => r.endsWith(`-j ${j.to}`)).length, 1);
    }
  }
  assert.deepEqual(system.ipRules, [{ pref: 32764, selector: 'from all fwmark 0x100/0x100 lookup 133' }]);
  assert.deepEqual(system.routes.get('133'), ['local default dev lo scope host']);
}

function start(system: FakeSystem, state: FakeState, options: Partial<typeof OPTIONS> = {}): { capture: RunningCapture; logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger();
  return { capture: startCapture({ settings: SETTINGS, state, logger }, { system, ...OPTIONS, ...options }), logger };
}

test('start rebuilds from scratch over leftovers of an earlier run, in one restore', async () => {
  const system = new FakeSystem();
  await system.iptablesRestore('*nat\n:AMBIT-SERVICES - [0:0]\n:ZTUNNEL-NAT - [0:0]\n-A PREROUTING -j AMBIT-SERVICES\n-A PREROUTING -j ZTUNNEL-NAT\n-A PREROUTING -j ZTUNNEL-NAT\nCOMMIT\n*mangle\n:ZTUNNEL-OLD - [0:0]\n-A ZTUNNEL-OLD -j ACCEPT\n-A PREROUTING -j ZTUNNEL-OLD\nCOMMIT\n');
  await system.ip(['-4', 'rule', 'add', 'pref', '100', 'fwmark', '0x100/0x100', 'lookup', '133']);
  system.restores = [];
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE), ambientWorkload(B, 'node-2')]);
  const { capture, logger } = start(system, state);
  await capture.ready;
  await assertInstalled(system, [A]);
  assert.deepEqual(parseIptablesSave(await system.iptablesSave()).nat!.get('PREROUTING'), ['-A PREROUTING -j ZTUNNEL-NAT', '-A PREROUTING -j AMBIT-SERVICES']);
  assert.equal(system.restores.length, 1);
  assert.deepEqual(capture.status(), { pods: [A], appliedVersion: 1 });
  assert.ok(logger.lines.includes('info capture: rules installed for 1 pod(s)'));
  await capture.shutdown();
});

test('state changes are followed, coalesced, and only the pod rules change', async () => {
  const system = new FakeSystem();
  const state = new FakeState();
  const { capture } = start(system, state);
  await capture.ready;
  await assertInstalled(system, []);
  const before = system.restores.length;
  for (let i = 0; i < 10; i++) state.set(i % 2 ? [ambientWorkload(A, NODE)] : [ambientWorkload(B, NODE)]);
  state.set([ambientWorkload(A, NODE), ambientWorkload(B, NODE), { ...ambientWorkload('198.18.1.11', NODE), tunnelProtocol: 'NONE' }]);
  await until('both pods applied', () => capture.status().pods.length === 2);
  assert.equal(system.restores.length, before + 1);
  assert.ok(!/^:/m.test(system.restores.at(-1)!), 'no chain is rewritten for a pod change');
  await assertInstalled(system, [A, B]);
  assert.deepEqual(capture.status(), { pods: [A, B], appliedVersion: 11 });
  state.set([ambientWorkload(B, NODE)]);
  await until('pod removed', () => capture.status().pods.length === 1);
  await assertInstalled(system, [B]);
  await capture.shutdown();
});

test('never two restores at once', async () => {
  const system = new FakeSystem();
  system.restoreDelayMs = 20;
  const state = new FakeState();
  const { capture } = start(system, state, { coalesceMs: 0 });
  await capture.ready;
  for (let i = 0; i < 5; i++) {
    state.set([ambientWorkload(`198.18.1.${20 + i}`, NODE)]);
    await new Promise((r) => setTimeout(r, 7));
  }
  await until('last change applied', () => capture.status().pods[0] === '198.18.1.24');
  assert.equal(system.maxConcurrent, 1);
  await capture.shutdown();
});

test('a change back to the applied set while an apply is under way still ends with that set', async () => {
  const system = new FakeSystem();
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE)]);
  const { capture } = start(system, state);
  await capture.ready;
  system.restoreDelayMs = 30;
  state.set([ambientWorkload(A, NODE), ambientWorkload(B, NODE)]);
  await until('an apply under way', () => system.inFlight > 0);
  state.set([ambientWorkload(A, NODE)]);
  await until('settled', () => system.inFlight === 0 && capture.status().appliedVersion === 3);
  await until('settled on A', () => capture.status().pods.length === 1);
  await assertInstalled(system, [A]);
  await capture.shutdown();
});

test('a failed apply is logged, kept in status and retried until it works', async () => {
  const system = new FakeSystem();
  system.failRestores = 3;
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE)]);
  const { capture, logger } = start(system, state);
  await until('an error in status', () => capture.status().lastError !== undefined);
  assert.match(capture.status().lastError!, /iptables-restore: line 3 failed/);
  await capture.ready;
  assert.equal(capture.status().lastError, undefined);
  await assertInstalled(system, [A]);
  assert.equal(logger.lines.filter((l) => l.startsWith('error capture: applying rules failed')).length, 3);
  assert.ok(logger.lines.includes('info capture: rules applied again after failures'));
  await capture.shutdown();
});

test('drift is repaired on the periodic check: our nat jump back to first, deleted rules back', async () => {
  const system = new FakeSystem();
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE)]);
  const { capture, logger } = start(system, state, { resyncMs: 10 });
  await capture.ready;
  await system.iptablesRestore('*nat\n:AMBIT-SERVICES - [0:0]\n-I PREROUTING 1 -j AMBIT-SERVICES\nCOMMIT\n*mangle\n-D ZTUNNEL-OUTBOUND ' + renderCaptureRules(SETTINGS, [A]).tables.mangle.chains[2]!.rules[0]!.slice('-A ZTUNNEL-OUTBOUND '.length) + '\nCOMMIT\n');
  await system.ip(['-4', 'route', 'flush', 'table', '133']);
  await until('drift repaired', () => logger.lines.some((l) => l.includes('repaired drift')) && system.routes.has('133'));
  await until('rules back', () => system.tables.get('nat')!.get('PREROUTING')![0] === '-A PREROUTING -j ZTUNNEL-NAT');
  await assertInstalled(system, [A]);
  await capture.shutdown();
});

test('shutdown removes everything it installed, and stops following the state', async () => {
  const system = new FakeSystem();
  await system.iptablesRestore('*nat\n:AMBIT-SERVICES - [0:0]\n-A PREROUTING -j AMBIT-SERVICES\nCOMMIT\n');
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE)]);
  const { capture, logger } = start(system, state);
  await capture.ready;
  await Promise.all([capture.shutdown(), capture.shutdown()]);
  assert.deepEqual(await installedLeftovers(system), []);
  assert.deepEqual(system.tables.get('nat')!.get('PREROUTING'), ['-A PREROUTING -j AMBIT-SERVICES']);
  assert.equal(state.listenerCount, 0);
  assert.deepEqual(capture.status().pods, []);
  assert.ok(logger.lines.includes('info capture: rules removed'));
});

test('shutdown before the first apply worked rejects ready and still cleans up', async () => {
  const system = new FakeSystem();
  system.failRestores = 1000;
  const state = new FakeState();
  const { capture } = start(system, state, { retryInitialMs: 1000 });
  await until('a failure', () => capture.status().lastError !== undefined);
  system.failRestores = 0;
  await capture.shutdown();
  await assert.rejects(capture.ready, /stopped before its rules were applied/);
  assert.deepEqual(await installedLeftovers(system), []);
});

test('host probes: the default gateway is read at each apply and its connections are left alone', async () => {
  const system = new FakeSystem();
  const state = new FakeState();
  state.set([ambientWorkload(A, NODE)]);
  const logger = memoryLogger();
  const capture = startCapture({ settings: { ...SETTINGS, hostSources: 'default-gateway' }, state, logger }, { system, ...OPTIONS });
  await capture.ready;
  const prerouting = async (): Promise<readonly string[]> => parseIptablesSave(await system.iptablesSave()).mangle!.get('ZTUNNEL-PRERT')!;
  assert.ok((await prerouting()).includes('-A ZTUNNEL-PRERT -p tcp -m conntrack --ctorigsrc 198.18.0.1 -j RETURN'));
  assert.ok(logger.lines.includes("info capture: connections the node's host opens to pods (kubelet probes) are not captured: from 198.18.0.1/32"));

  // The gateway moves: the next apply follows it.
  system.defaultRoute = 'default via 198.18.128.1 dev eth0 \n';
  state.set([ambientWorkload(A, NODE), ambientWorkload(B, NODE)]);
  await until('the new gateway', () => capture.status().pods.length === 2);
  const rules = await prerouting();
  assert.ok(rules.includes('-A ZTUNNEL-PRERT -p tcp -m conntrack --ctorigsrc 198.18.128.1 -j RETURN'));
  assert.ok(!rules.some((r) => r.includes('198.18.0.1')));

  // No readable default route: pods are still captured, with a warning; host probes are captured too.
  system.defaultRoute = undefined;
  state.set([ambientWorkload(A, NODE)]);
  await until('the pod removal', () => capture.status().pods.length === 1);
  assert.ok(!(await prerouting()).some((r) => r.includes('conntrack')));
  assert.ok(logger.lines.some((l) => l.startsWith('warn capture: cannot read the default gateway, so host probes are captured')));
  assert.equal(capture.status().lastError, undefined);
  await capture.shutdown();
  assert.deepEqual(await installedLeftovers(system), []);
});

test('host probes: a fixed list of sources is used as given', async () => {
  const system = new FakeSystem();
  system.defaultRoute = undefined; // never read
  const state = new FakeState();
  const capture = startCapture({ settings: { ...SETTINGS, hostSources: ['198.18.0.0/24'] }, state, logger: memoryLogger() }, { system, ...OPTIONS });
  await capture.ready;
  assert.ok(parseIptablesSave(await system.iptablesSave()).mangle!.get('ZTUNNEL-PRERT')!.includes('-A ZTUNNEL-PRERT -p tcp -m conntrack --ctorigsrc 198.18.0.0/24 -j RETURN'));
  await capture.shutdown();
});
