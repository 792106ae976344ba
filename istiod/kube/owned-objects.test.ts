// ownedDiffers: defaults the API server adds do not count as a change; a changed image, label or
// replica count does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownedDiffers } from './owned-objects';

const desired = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'waypoint', namespace: 'shop', labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'istio-proxy', image: 'ambit/waypoint' }] } } },
};

test('live object with defaults, status and bookkeeping is unchanged', () => {
  const live = {
    ...desired,
    metadata: { ...desired.metadata, uid: 'u1', resourceVersion: '9', generation: 3, labels: { ...desired.metadata.labels, extra: 'x' } },
    spec: { replicas: 1, strategy: { type: 'RollingUpdate' },
      template: { spec: { restartPolicy: 'Always', containers: [{ name: 'istio-proxy', image: 'ambit/waypoint', imagePullPolicy: 'IfNotPresent' }] } } },
    status: { readyReplicas: 1 },
  };
  assert.equal(ownedDiffers(live, desired), false);
});

test('a changed image, replica count, label or extra container is a change', () => {
  const base = JSON.parse(JSON.stringify(desired)) as typeof desired;
  assert.equal(ownedDiffers({ ...base, spec: { ...base.spec, replicas: 2 } }, desired), true);
  const image = JSON.parse(JSON.stringify(desired)) as typeof desired;
  image.spec.template.spec.containers[0]!.image = 'old';
  assert.equal(ownedDiffers(image, desired), true);
  assert.equal(ownedDiffers({ ...base, metadata: { ...base.metadata, labels: {} } }, desired), true);
  const two = JSON.parse(JSON.stringify(desired)) as typeof desired;
  two.spec.template.spec.containers.push({ name: 'x', image: 'y' });
  assert.equal(ownedDiffers(two, desired), true);
});
