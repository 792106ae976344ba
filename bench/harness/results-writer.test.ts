import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, writeResults, type RunMeta } from './results-writer';

const META: RunMeta = {
  scenario: 'demo',
  summary: 'A demo scenario.',
  command: 'npm run bench -- demo',
  startedAt: '2025-01-01T00:00:00.000Z',
  durationSeconds: 12.3,
  quick: false,
  git: { commit: '0123456789abcdef0123', dirty: true },
  loadAverage: { start: [0.5, 0.25, 0.1], end: [1, 0.5, 0.2] },
  machine: {
    cpuModel: 'AMD EPYC', cores: 2, memoryGiB: 23.4, kernel: '6.18.0', os: 'Debian GNU/Linux 12 (bookworm)',
    node: 'v20.20.2', nodeOpenssl: '3.0.19', systemOpenssl: 'OpenSSL 3.0.19', tools: { iperf3: 'iperf 3.12' },
  },
};

test('markdown tables escape pipes and align numeric columns right', () => {
  const t = markdownTable(['path', 'Gbit/s'], [['a|b', '1.50'], ['c']], ['left', 'right']);
  assert.equal(t, '| path | Gbit/s |\n| --- | ---: |\n| a\\|b | 1.50 |\n| c |  |');
});

test('writes JSON, Markdown and SVG side by side', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = await writeResults(dir, 'demo', META, {
    settings: { seconds: 10 },
    figures: { gbps: 2.5 },
    markdown: '## Figures\n\nsome table',
    chart: { title: 'Demo', panels: [{ title: 'x', unit: 'Gbit/s', series: ['a'], groups: [{ label: 'g', values: [2.5] }] }] },
  });
  const json = JSON.parse(await readFile(files.json, 'utf8')) as Record<string, unknown>;
  assert.equal(json.scenario, 'demo');
  assert.deepEqual(json.settings, { seconds: 10 });
  assert.deepEqual(json.figures, { gbps: 2.5 });
  assert.equal((json.machine as { cpuModel: string }).cpuModel, 'AMD EPYC');
  const md = await readFile(files.markdown, 'utf8');
  assert.match(md, /^# Benchmark: demo/);
  assert.match(md, /\| commit \| 0123456789ab \(work tree had changes\) \|/);
  assert.match(md, /## Figures/);
  assert.match(md, /\| load average \| 0\.50 0\.25 0\.10 at start, 1\.00 0\.50 0\.20 at end \|/);
  assert.match(md, /!\[chart\]\(demo\.svg\)/);
  assert.ok(files.svg);
  assert.match(await readFile(files.svg, 'utf8'), /<svg /);
});
