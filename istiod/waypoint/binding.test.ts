// boundWaypoint: object label beats namespace label, `none` opts out, the waypoint's own objects
// are never bound, waypoint-for decides per kind, and an unknown Gateway still binds Services
// (fail closed) but not pods bound only through their namespace.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundWaypoint } from './binding';
import type { WaypointGateway } from './types';

const gw = (name: string, waypointFor: WaypointGateway['waypointFor']): [string, WaypointGateway] =>
  [`shop/${name}`, { namespace: 'shop', name, uid: name, generation: 1, waypointFor, ready: true, problems: [] }];
const gateways = new Map([gw('waypoint', 'service'), gw('wl', 'workload'), gw('both', 'all')]);

test('object label beats namespace label; none opts out', () => {
  const ns = { 'istio.io/use-waypoint': 'waypoint' };
  assert.equal(boundWaypoint('service', 'shop', {}, ns, gateways)?.waypoint.name, 'waypoint');
  assert.equal(boundWaypoint('service', 'shop', { 'istio.io/use-waypoint': 'both' }, ns, gateways)?.waypoint.name, 'both');
  assert.equal(boundWaypoint('service', 'shop', { 'istio.io/use-waypoint': 'none' }, ns, gateways), undefined);
  assert.equal(boundWaypoint('service', 'shop', {}, {}, gateways), undefined);
});

test('use-waypoint-namespace names another namespace', () => {
  const b = boundWaypoint('service', 'web', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/use-waypoint-namespace': 'shop' }, {}, gateways);
  assert.deepEqual(b?.waypoint, { namespace: 'shop', name: 'waypoint' });
});

test('the waypoint itself is never bound', () => {
  assert.equal(boundWaypoint('service', 'shop', { 'gateway.istio.io/managed': 'istio.io-mesh-controller' }, { 'istio.io/use-waypoint': 'waypoint' }, gateways), undefined);
});

test('waypoint-for decides per kind', () => {
  assert.equal(boundWaypoint('workload', 'shop', { 'istio.io/use-waypoint': 'waypoint' }, {}, gateways), undefined);
  assert.equal(boundWaypoint('workload', 'shop', { 'istio.io/use-waypoint': 'wl' }, {}, gateways)?.waypoint.name, 'wl');
  assert.equal(boundWaypoint('service', 'shop', { 'istio.io/use-waypoint': 'wl' }, {}, gateways), undefined);
  assert.equal(boundWaypoint('workload', 'shop', {}, { 'istio.io/use-waypoint': 'both' }, gateways)?.waypoint.name, 'both');
});

test('an unknown Gateway binds Services and self-labelled pods, not namespace-bound pods', () => {
  const ns = { 'istio.io/use-waypoint': 'missing' };
  assert.equal(boundWaypoint('service', 'shop', {}, ns, gateways)?.waypoint.name, 'missing');
  assert.equal(boundWaypoint('workload', 'shop', {}, ns, gateways), undefined);
  assert.equal(boundWaypoint('workload', 'shop', { 'istio.io/use-waypoint': 'missing' }, {}, gateways)?.via, 'object');
});
