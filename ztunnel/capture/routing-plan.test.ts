// Planning the policy routing (fwmark rule + local route in table 133) from `ip` output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRules, planRouting, planRoutingRemoval, routingLeftovers } from './routing-plan';
import { renderCaptureRules } from './rules';

const want = renderCaptureRules({ nodeName: 'n', ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 } }, []);
const DEFAULT_RULES = '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';
const OURS = '32764:\tfrom all fwmark 0x100/0x100 lookup 133\n';
const ROUTE = 'local default dev lo scope host \n';

test('parses ip rule output', () => {
  assert.deepEqual(parseRules(`${OURS}32766:\tfrom all lookup main`), [
    { priority: 32764, selector: 'from all fwmark 0x100/0x100 lookup 133' },
    { priority: 32766, selector: 'from all lookup main' },
  ]);
});

test('nothing in place: the route, then the rule', () => {
  assert.deepEqual(planRouting(want, DEFAULT_RULES, ''), [
    ['-4', 'route', 'replace', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '133'],
    ['-4', 'rule', 'add', 'pref', '32764', 'fwmark', '0x100/0x100', 'lookup', '133'],
  ]);
});

test('in place: nothing to do', () => {
  assert.deepEqual(planRouting(want, DEFAULT_RULES + OURS, ROUTE), []);
});

test('extra copies of our rule at other priorities are deleted, the one at ours kept', () => {
  const rules = `100:\tfrom all fwmark 0x100/0x100 lookup 133\n${OURS}32000:\tfrom all fwmark 0x100/0x100 lookup 133\n${DEFAULT_RULES}`;
  assert.deepEqual(planRouting(want, rules, ROUTE), [
    ['-4', 'rule', 'del', 'pref', '100', 'fwmark', '0x100/0x100', 'lookup', '133'],
    ['-4', 'rule', 'del', 'pref', '32000', 'fwmark', '0x100/0x100', 'lookup', '133'],
  ]);
});

test('only a stray priority: ours is added before the stray one is deleted', () => {
  assert.deepEqual(planRouting(want, '100:\tfrom all fwmark 0x100/0x100 lookup 133\n', ROUTE), [
    ['-4', 'rule', 'add', 'pref', '32764', 'fwmark', '0x100/0x100', 'lookup', '133'],
    ['-4', 'rule', 'del', 'pref', '100', 'fwmark', '0x100/0x100', 'lookup', '133'],
  ]);
});

test('other routes in our table: flushed, then ours', () => {
  assert.deepEqual(planRouting(want, OURS, `unreachable 198.18.251.0/24\n${ROUTE}`), [
    ['-4', 'route', 'flush', 'table', '133'],
    ['-4', 'route', 'replace', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '133'],
  ]);
});

test('removal deletes every rule of ours and flushes the table; other rules stay', () => {
  const rules = `${OURS}100:\tfrom all fwmark 0x100/0x100 lookup 133\n200:\tfrom all fwmark 0x4000 lookup 7\n`;
  assert.deepEqual(planRoutingRemoval(rules, ROUTE), [
    ['-4', 'rule', 'del', 'pref', '32764', 'fwmark', '0x100/0x100', 'lookup', '133'],
    ['-4', 'rule', 'del', 'pref', '100', 'fwmark', '0x100/0x100', 'lookup', '133'],
    ['-4', 'route', 'flush', 'table', '133'],
  ]);
  assert.deepEqual(planRoutingRemoval(DEFAULT_RULES, ''), []);
  assert.deepEqual(routingLeftovers(DEFAULT_RULES + OURS, ROUTE), ['ip rule 32764: from all fwmark 0x100/0x100 lookup 133', 'route table 133: local default dev lo scope host']);
});
