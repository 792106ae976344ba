import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusView } from './route-status';
import { statusToWrite } from './status-write';

const T0 = new Date('2024-01-01T00:00:00Z');
const T1 = new Date('2024-01-02T00:00:00Z');
const accepted = { type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'ok' };

test('conditions: written once, then nothing while they say the same; the transition time moves only on a flip', () => {
  const view: StatusView = { shape: 'conditions', generation: 3, conditions: [accepted] };
  const first = statusToWrite(undefined, view, T0);
  assert.deepEqual(first, { conditions: [{ ...accepted, observedGeneration: 3, lastTransitionTime: T0.toISOString() }] });
  assert.equal(statusToWrite(first, view, T1), undefined);

  const reworded = statusToWrite(first, { ...view, conditions: [{ ...accepted, message: 'still ok' }] }, T1) as { conditions: { lastTransitionTime: string }[] };
  assert.equal(reworded.conditions[0]?.lastTransitionTime, T0.toISOString());
  const flipped = statusToWrite(first, { ...view, conditions: [{ ...accepted, status: 'False', reason: 'Invalid' }] }, T1) as { conditions: { lastTransitionTime: string }[] };
  assert.equal(flipped.conditions[0]?.lastTransitionTime, T1.toISOString());
  assert.ok(statusToWrite(first, { ...view, generation: 4 }, T1), 'a new generation is written');
});

test('route parents: our entries replaced, other controllers\' entries kept', () => {
  const other = { parentRef: { name: 'ingress' }, controllerName: 'example.com/gateway', conditions: [{ type: 'Accepted', status: 'True' }] };
  const ref = { group: '', kind: 'Service', name: 'reviews' };
  const view: StatusView = { shape: 'parents', generation: 1, parents: [{ parentRef: ref, conditions: [accepted] }] };
  const written = statusToWrite({ parents: [other] }, view, T0);
  assert.deepEqual(written, {
    parents: [other, { parentRef: ref, controllerName: 'istio.io/mesh-controller', conditions: [{ ...accepted, observedGeneration: 1, lastTransitionTime: T0.toISOString() }] }],
  });
  assert.equal(statusToWrite(written, view, T1), undefined);
  assert.deepEqual(statusToWrite(written, { ...view, parents: [] }, T1), { parents: [other] }, 'a parentRef removed from the route');
});
