import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWindow } from './sampler';

test('a window over this process sees its CPU work and memory; a missing pid is marked exited', async () => {
  const window = await startWindow([{ name: 'self', pid: process.pid }, { name: 'ghost', pid: 2 ** 22 + 1 }], 10);
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x = (x + i * 7) % 1_000_003; // bounded busy work
  await new Promise((r) => setTimeout(r, 30));
  const usage = await window.stop();
  assert.ok(x >= 0);
  const self = usage.processes.find((p) => p.name === 'self');
  const ghost = usage.processes.find((p) => p.name === 'ghost');
  assert.ok(self && ghost);
  assert.equal(self.exited, false);
  assert.ok(self.cpuSeconds > 0);
  assert.equal(self.cpuSeconds, self.userSeconds + self.systemSeconds);
  assert.ok(self.rssMaxKb > 0 && self.rssMeanKb > 0 && self.rssMeanKb <= self.rssMaxKb);
  assert.equal(ghost.exited, true);
  assert.equal(ghost.cpuSeconds, 0);
  assert.ok(usage.wallSeconds > 0);
});
