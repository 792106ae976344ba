// The readiness decision and its latch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadinessGate, readinessProblem, type ReadinessInputs } from './readiness';

const ready: ReadinessInputs = { shuttingDown: false, xdsSynced: true, capture: 'off', missingCertificates: [] };

test('conditions are reported in order, one line each', () => {
  assert.equal(readinessProblem(ready), undefined);
  assert.equal(readinessProblem({ ...ready, capture: 'ready' }), undefined);
  assert.equal(readinessProblem({ ...ready, shuttingDown: true, xdsSynced: false }), 'shutting down');
  assert.equal(readinessProblem({ ...ready, xdsSynced: false, capture: 'pending' }), 'waiting for the first xDS configuration from istiod');
  assert.equal(readinessProblem({ ...ready, capture: 'pending', captureError: 'iptables-restore:\nline 3 failed' }),
    'waiting for the traffic capture rules to be applied (last error: iptables-restore: line 3 failed)');
  const ids = ['a', 'b', 'c', 'd', 'e'].map((sa) => `spiffe://cluster.local/ns/shop/sa/${sa}`);
  assert.equal(readinessProblem({ ...ready, missingCertificates: ids }),
    'waiting for certificates of local workloads: spiffe://cluster.local/ns/shop/sa/a, spiffe://cluster.local/ns/shop/sa/b, spiffe://cluster.local/ns/shop/sa/c and 2 more');
});

test('the gate latches the first ready and resolves `ready`; shutdown un-readies it', async () => {
  let inputs: Omit<ReadinessInputs, 'shuttingDown'> = { ...ready, xdsSynced: false };
  const gate = new ReadinessGate(() => inputs);
  let resolved = false;
  void gate.ready.then(() => (resolved = true));
  gate.check();
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  assert.equal(gate.isReady, false);
  inputs = ready;
  gate.check();
  await gate.ready;
  assert.equal(gate.isReady, true);
  inputs = { ...ready, missingCertificates: ['spiffe://cluster.local/ns/shop/sa/new'] };
  assert.equal(gate.problem(), undefined);
  gate.shutdown();
  assert.equal(gate.problem(), 'shutting down');
  assert.equal(gate.isReady, false);
});
