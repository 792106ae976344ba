// Entry point of the benchmarks: `npm run bench -- <scenario> [--quick] [--out DIR] [flags]`.
// Dispatches to a scenario, installs missing load tools (root) or says what to install, gives the
// scenario a temp dir and a process supervisor, writes results/<name>.{json,md,svg}, and makes
// sure every started process is stopped and the temp dir removed on success, failure and Ctrl-C.

import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describeError } from '../pkg/errors/mesh-error';
import { parseBenchArgs, resultsBaseName } from './harness/cli-args';
import { describeMachine, gitState } from './harness/machine';
import { ProcessSupervisor } from './harness/processes';
import { writeResults } from './harness/results-writer';
import { ensureTools } from './harness/tools';
import { SCENARIOS, findScenario } from './scenarios/index';

/** Flags whose runs are not the committed default: their results get a file-name suffix. */
const SUFFIX_FLAGS = ['cpu-prof'];

const started = Date.now();
let quiet = false;
function log(line: string): void {
  if (quiet) return;
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${t} s] ${line}\n`);
}

function usage(): string {
  const lines = ['usage: npm run bench -- <scenario> [--quick] [--runs N] [--out DIR] [scenario flags]', '', 'scenarios:'];
  for (const s of SCENARIOS) {
    lines.push(`  ${s.name}  ${s.summary}`);
    for (const f of s.flags) lines.push(`      --${f.name}  ${f.help}`);
  }
  lines.push(
    '',
    '  --quick    a short smoke run (seconds, one round); results get a .quick suffix',
    '  --runs N   rounds of measurements; the median round is reported (scenario default otherwise)',
    '  --out DIR  where results go (default bench/results)',
  );
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv, SCENARIOS.map((s) => s.name), (name) => findScenario(name)?.flags.map((f) => f.name) ?? []);
  if (parsed.kind === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`bench: ${parsed.message}\n\n${usage()}\n`);
    return 2;
  }
  const scenario = findScenario(parsed.scenario);
  if (!scenario) return 2;
  const repoRoot = resolve(__dirname, '..', '..');
  const outDir = resolve(parsed.outDir ?? join(repoRoot, 'bench', 'results'));
  const command = process.env.npm_lifecycle_event === 'bench' ? `npm run bench -- ${argv.join(' ')}` : `node ${relative(repoRoot, __filename)} ${argv.join(' ')}`;
  // As root, every measured process runs at nice -10 so other work on a shared machine gets in
  // its way less; all paths get the same treatment.
  const supervisor = new ProcessSupervisor({ nice: process.getuid?.() === 0 ? -10 : undefined });
  let tmp: string | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  const cleanup = async (): Promise<void> => {
    await supervisor.stopAll(3000);
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      await fn?.().catch((err: unknown) => log(`cleanup failed: ${describeError(err)}`));
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
    tmp = undefined;
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping ${supervisor.running().length} process(es) and removing the temp dir`);
    quiet = true; // the scenario unwinds with errors from here on; nobody needs to read them
    supervisor
      .shutdown()
      .then(cleanup)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', () => {
    // Last resort (an uncaught error): no async work is possible here.
    supervisor.killAllSync();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  try {
    await ensureTools(scenario.tools, log);
    tmp = await mkdtemp(join(tmpdir(), `ambit-bench-${scenario.name}-`));
    log(`${scenario.name}${parsed.quick ? ' (quick)' : ''}: ${scenario.summary}`);
    const startedAt = new Date();
    const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
    const report = await scenario.run({ quick: parsed.quick, runs: parsed.runs, flags: parsed.flags, supervisor, tmpDir: tmp, repoRoot, log, addCleanup: (fn) => { cleanups.push(fn); } });
    await supervisor.stopAll();
    const files = await writeResults(outDir, resultsBaseName(parsed, SUFFIX_FLAGS), {
      scenario: scenario.name,
      summary: scenario.summary,
      command,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      quick: parsed.quick,
      git: await gitState(repoRoot),
      machine: await describeMachine(scenario.toolVersions),
      loadAverage: { start: loadAtStart, end: loadavg().map((v) => Math.round(v * 100) / 100) },
    }, report);
    log(`results: ${[files.json, files.markdown, files.svg].filter((f) => f !== undefined).map((f) => relative(process.cwd(), f)).join(', ')}`);
    const problems = report.problems ?? [];
    for (const p of problems) log(`problem: ${p}`);
    return problems.length > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`bench: ${scenario.name} failed: ${describeError(err)}\n`);
    return 1;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${describeError(err)}\n`);
    process.exit(1);
  },
);
