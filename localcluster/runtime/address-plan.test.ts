// Unit tests of the address plan: block layout, limits and pod IP allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatePodIP, isPodIPOf, nodeAddresses, planAddresses } from './address-plan';

test('block 0 matches the documented layout', () => {
  const plan = planAddresses(0, 3);
  assert.equal(plan.gatewayIP, '198.18.0.1');
  assert.equal(plan.nodeSubnet, '198.18.0.0/24');
  assert.equal(plan.serviceCIDR, '198.19.0.0/17');
  assert.equal(plan.kubernetesServiceIP, '198.19.0.1');
  assert.deepEqual(plan.nodes.map((n) => [n.index, n.nodeIP, n.podCIDR, n.podGateway]), [
    [1, '198.18.0.11', '198.18.1.0/24', '198.18.1.1'],
    [2, '198.18.0.12', '198.18.2.0/24', '198.18.2.1'],
    [3, '198.18.0.13', '198.18.3.0/24', '198.18.3.1'],
  ]);
});

test('block 1 is block 0 shifted by 128 in the third octet', () => {
  const plan = planAddresses(1, 100);
  assert.equal(plan.gatewayIP, '198.18.128.1');
  assert.equal(plan.serviceCIDR, '198.19.128.0/17');
  assert.equal(plan.kubernetesServiceIP, '198.19.128.1');
  assert.equal(plan.nodes[0]!.nodeIP, '198.18.128.11');
  assert.equal(plan.nodes[99]!.nodeIP, '198.18.128.110');
  assert.equal(plan.nodes[99]!.podCIDR, '198.18.228.0/24');
});

test('every address stays inside 198.18.0.0/15', () => {
  for (const block of [0, 1] as const) {
    const plan = planAddresses(block, 100);
    const all = [plan.gatewayIP, plan.kubernetesServiceIP, ...plan.nodes.flatMap((n) => [n.nodeIP, n.podGateway])];
    for (const ip of all) assert.match(ip, /^198\.(18|19)\./);
  }
});

test('bad node counts and blocks are refused', () => {
  assert.throws(() => planAddresses(0, 0), /node count/);
  assert.throws(() => planAddresses(0, 101), /node count/);
  assert.throws(() => planAddresses(2 as 0, 1), /block/);
});

test('allocation prefers a free preferred IP, else the lowest free one', () => {
  const node = nodeAddresses(0, 2);
  assert.equal(allocatePodIP(node, new Set()), '198.18.2.2');
  assert.equal(allocatePodIP(node, new Set(['198.18.2.2', '198.18.2.3'])), '198.18.2.4');
  assert.equal(allocatePodIP(node, new Set(), '198.18.2.77'), '198.18.2.77');
  assert.equal(allocatePodIP(node, new Set(['198.18.2.77']), '198.18.2.77'), '198.18.2.2');
  assert.equal(allocatePodIP(node, new Set(), '198.18.3.77'), '198.18.2.2', 'another node\'s address is not reused');
  assert.equal(allocatePodIP(node, new Set(), '198.18.2.1'), '198.18.2.2', 'the gateway is never handed out');
});

test('a full pod CIDR yields null', () => {
  const node = nodeAddresses(1, 1);
  const used = new Set<string>();
  for (let h = 2; h <= 254; h++) used.add(`198.18.129.${h}`);
  assert.equal(allocatePodIP(node, used), null);
  assert.equal(isPodIPOf(node, '198.18.129.254'), true);
  assert.equal(isPodIPOf(node, '198.18.129.255'), false);
});
