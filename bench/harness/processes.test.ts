import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { ProcessSupervisor, commandLine, freePort, waitForPort } from './processes';
import { readProcStat } from './proc-stat';
import { isMeshError } from '../../pkg/errors/mesh-error';

test('stop() ends the whole process group, grandchildren included', async (t) => {
  const sup = new ProcessSupervisor();
  t.after(() => sup.stopAll(1000));
  const p = await sup.start({ name: 'sleepers', command: 'sh', args: ['-c', 'sleep 30 & echo child=$!; wait'] });
  const m = await p.waitForOutput(/child=(\d+)/, 5000);
  const grandchild = Number(m[1]);
  assert.ok(existsSync(`/proc/${grandchild}`));
  await p.stop(1000);
  assert.equal(p.hasExited(), true);
  assert.deepEqual(sup.running(), []);
  // The grandchild was signalled with its group; give the kernel a moment to reap it.
  // (Orphans are reaped by init, which may leave a zombie for a while: that counts as gone.)
  const alive = async (): Promise<boolean> => {
    const stat = await readProcStat(grandchild);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  };
  for (let i = 0; i < 100 && (await alive()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await alive(), false);
});

test('waitForOutput reports an early exit with the output tail', async (t) => {
  const sup = new ProcessSupervisor();
  t.after(() => sup.stopAll(1000));
  const p = await sup.start({ name: 'quitter', command: 'sh', args: ['-c', 'echo boom >&2; exit 3'] });
  await assert.rejects(p.waitForOutput(/READY/, 5000), (err: unknown) => isMeshError(err) && /quitter exited before it was ready/.test(err.message) && /boom/.test(err.message));
  assert.equal((await p.exited).code, 3);
});

test('run() returns output and kills a command that overstays its timeout', async (t) => {
  const sup = new ProcessSupervisor();
  t.after(() => sup.stopAll(1000));
  const ok = await sup.run({ name: 'echo', command: 'sh', args: ['-c', 'echo out; echo err >&2'], timeoutMs: 5000 });
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'out\n');
  assert.equal(ok.stderr, 'err\n');
  await assert.rejects(sup.run({ name: 'slow', command: 'sleep', args: ['30'], timeoutMs: 200 }), (err: unknown) => isMeshError(err, 'Timeout') && /slow did not finish/.test(err.message));
  assert.deepEqual(sup.running(), []);
});

test('a missing executable is an error, not a hang', async () => {
  const sup = new ProcessSupervisor();
  await assert.rejects(sup.start({ name: 'ghost', command: '/nonexistent/bin/ghost', args: [] }), /cannot start ghost/);
  assert.deepEqual(sup.running(), []);
});

test('waitForPort sees a listener and gives up on a closed port', async (t) => {
  const server = createServer((s) => s.destroy());
  t.after(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  await waitForPort('127.0.0.1', address.port, 2000);
  const closed = await freePort();
  await assert.rejects(waitForPort('127.0.0.1', closed, 200), /nothing listened/);
});

test('after shutdown() nothing new is started', async () => {
  const sup = new ProcessSupervisor();
  const p = await sup.start({ name: 'sleeper', command: 'sleep', args: ['30'] });
  await sup.shutdown(1000);
  assert.equal(p.hasExited(), true);
  await assert.rejects(sup.start({ name: 'late', command: 'sleep', args: ['30'] }), /not starting late: the run is shutting down/);
  await assert.rejects(sup.run({ name: 'late-run', command: 'true', args: [], timeoutMs: 1000 }), /shutting down/);
  assert.deepEqual(sup.running(), []);
});

test('pinning and niceness wrap the command without changing its pid', async (t) => {
  assert.deepEqual(commandLine({ name: 'x', command: 'iperf3', args: ['-s'] }), ['iperf3', '-s']);
  assert.deepEqual(commandLine({ name: 'x', command: 'iperf3', args: ['-s'], cpu: 1 }, -10), ['nice', '-n', '-10', 'taskset', '-c', '1', 'iperf3', '-s']);
  const sup = new ProcessSupervisor({ nice: 5 });
  t.after(() => sup.stopAll(1000));
  const p = await sup.start({ name: 'pinned', command: 'sh', args: ['-c', 'echo pid=$$; sleep 30'], cpu: 0 });
  const m = await p.waitForOutput(/pid=(\d+)/, 5000);
  assert.equal(Number(m[1]), p.pid);
  const stat = await readProcStat(p.pid);
  assert.ok(stat);
});

test('a process that ignores SIGTERM is killed after the grace period', async (t) => {
  const sup = new ProcessSupervisor();
  t.after(() => sup.stopAll(500));
  const p = await sup.start({ name: 'stubborn', command: 'sh', args: ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'] });
  await p.waitForOutput(/ready/, 5000);
  await p.stop(300);
  assert.equal(p.hasExited(), true);
  assert.equal((await p.exited).signal, 'SIGKILL');
});
