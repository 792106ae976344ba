// What binds to a waypoint and what a user is told about a binding: labels → bindings (`none`,
// cross-namespace), the problems (missing, not a waypoint, wrong waypoint-for, not programmed, a
// status for an older generation), the kubectl command that removes a binding, and a hostile
// condition message that cannot repaint the terminal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingOf, bindingProblem, unbindCommand, type Binding } from './waypoint-bindings';
import { progressLine, waypointView } from './waypoint-gateway';

const obj = (name: string, namespace: string | undefined, labels: Record<string, string>) => ({ metadata: { name, namespace, labels } });

const gateway = (opts: { for?: string; className?: string; programmed?: string; reason?: string; message?: string; observed?: number; generation?: number } = {}) => waypointView({
  metadata: { name: 'waypoint', namespace: 'shop', generation: opts.generation ?? 1, labels: opts.for ? { 'istio.io/waypoint-for': opts.for } : {} },
  spec: { gatewayClassName: opts.className ?? 'istio-waypoint' },
  status: opts.programmed ? {
    conditions: [{ type: 'Programmed', status: opts.programmed, reason: opts.reason ?? 'Programmed', message: opts.message ?? '', observedGeneration: opts.observed ?? 1 }],
    addresses: [{ type: 'Hostname', value: 'waypoint.shop.svc.cluster.local' }],
  } : {},
});

test('labels make bindings: same namespace by default, another with use-waypoint-namespace, none with `none`', () => {
  assert.deepEqual(bindingOf('namespace', obj('shop', undefined, { 'istio.io/use-waypoint': 'waypoint' })), {
    kind: 'namespace', namespace: 'shop', name: 'shop', waypoint: { namespace: 'shop', name: 'waypoint' }, crossNamespaceLabel: false,
  });
  assert.deepEqual(bindingOf('service', obj('web', 'front', { 'istio.io/use-waypoint': 'edge', 'istio.io/use-waypoint-namespace': 'shop' }))?.waypoint, { namespace: 'shop', name: 'edge' });
  assert.equal(bindingOf('pod', obj('p', 'shop', { 'istio.io/use-waypoint': 'none' })), undefined);
  assert.equal(bindingOf('pod', obj('p', 'shop', { app: 'x' })), undefined);
});

test('what is wrong with a binding, in words', () => {
  const svc = bindingOf('service', obj('reviews', 'shop', { 'istio.io/use-waypoint': 'waypoint' })) as Binding;
  const pod = bindingOf('pod', obj('ratings-1', 'shop', { 'istio.io/use-waypoint': 'waypoint' })) as Binding;
  const ns = bindingOf('namespace', obj('shop', undefined, { 'istio.io/use-waypoint': 'waypoint' })) as Binding;
  assert.equal(bindingProblem(svc, undefined), 'service shop/reviews uses waypoint shop/waypoint, which does not exist: its traffic is refused (fail closed)');
  assert.equal(bindingProblem(svc, gateway({ className: 'istio', programmed: 'True' })),
    'service shop/reviews uses waypoint shop/waypoint, which is a Gateway of class istio, not a waypoint: its traffic is refused (fail closed)');
  assert.equal(bindingProblem(svc, gateway({ programmed: 'True' })), undefined);
  assert.equal(bindingProblem(pod, gateway({ programmed: 'True' })),
    'pod shop/ratings-1 uses waypoint shop/waypoint, which serves service traffic only (istio.io/waypoint-for=service): the binding is not accepted');
  assert.equal(bindingProblem(pod, gateway({ for: 'workload', programmed: 'True' })), undefined);
  assert.equal(bindingProblem(ns, gateway({ for: 'none', programmed: 'True' })),
    'namespace shop uses waypoint shop/waypoint, which serves no traffic (istio.io/waypoint-for=none): the binding is not accepted');
  assert.equal(bindingProblem(ns, gateway({ for: 'workload', programmed: 'False', reason: 'NoReadyPods' })),
    'namespace shop uses waypoint shop/waypoint, which is not ready (Programmed=False: NoReadyPods): its traffic is refused until it is (fail closed)');
  assert.equal(bindingProblem(ns, gateway({})),
    'namespace shop uses waypoint shop/waypoint, which is not ready (no status from istiod yet): its traffic is refused until it is (fail closed)');
  assert.equal(bindingProblem(ns, gateway({ programmed: 'True', observed: 1, generation: 2 })),
    'namespace shop uses waypoint shop/waypoint, which is not ready (Programmed=True: Programmed, for an older generation): its traffic is refused until it is (fail closed)');
});

test('the command that removes a binding', () => {
  assert.equal(unbindCommand(bindingOf('namespace', obj('shop', undefined, { 'istio.io/use-waypoint': 'w' }))!), 'kubectl label namespace shop istio.io/use-waypoint-');
  assert.equal(unbindCommand(bindingOf('service', obj('web', 'front', { 'istio.io/use-waypoint': 'w', 'istio.io/use-waypoint-namespace': 'shop' }))!),
    'kubectl label service -n front web istio.io/use-waypoint- istio.io/use-waypoint-namespace-');
});

test('a condition message with terminal escapes is printed harmlessly', () => {
  const v = gateway({ programmed: 'False', reason: 'Bad', message: 'line one\n\u001b[2Jcleared' });
  assert.equal(progressLine(v), 'Programmed=False (Bad): line one ?[2Jcleared');
  assert.equal(v.ready, false);
});
