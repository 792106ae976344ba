import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs, resultsBaseName } from './cli-args';

const known = ['hbone-loopback'];
const flagsOf = (s: string): string[] => (s === 'hbone-loopback' ? ['hbone-default-windows', 'cpu-prof'] : []);

test('parses a scenario with --quick, flags and --out', () => {
  const r = parseBenchArgs(['hbone-loopback', '--quick', '--cpu-prof', '--out', '/tmp/r', '--runs', '3'], known, flagsOf);
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.equal(r.scenario, 'hbone-loopback');
  assert.equal(r.quick, true);
  assert.equal(r.outDir, '/tmp/r');
  assert.equal(r.runs, 3);
  assert.deepEqual([...r.flags], ['cpu-prof']);
  assert.equal(resultsBaseName(r, ['cpu-prof']), 'hbone-loopback.quick.cpu-prof');
});

test('explains what is wrong with the command line', () => {
  assert.deepEqual(parseBenchArgs([], known, flagsOf), { kind: 'error', message: 'name a scenario: hbone-loopback' });
  assert.match((parseBenchArgs(['nope'], known, flagsOf) as { message: string }).message, /unknown scenario 'nope'/);
  assert.match((parseBenchArgs(['hbone-loopback', '--fast'], known, flagsOf) as { message: string }).message, /unknown option --fast for hbone-loopback/);
  assert.match((parseBenchArgs(['hbone-loopback', '--out'], known, flagsOf) as { message: string }).message, /--out needs a directory/);
  assert.match((parseBenchArgs(['hbone-loopback', 'x'], known, flagsOf) as { message: string }).message, /one scenario per run/);
  assert.match((parseBenchArgs(['hbone-loopback', '--runs', '0'], known, flagsOf) as { message: string }).message, /--runs needs a count/);
  assert.deepEqual(parseBenchArgs(['--help'], known, flagsOf), { kind: 'help' });
});

test('a default run writes plain scenario-named files', () => {
  const r = parseBenchArgs(['hbone-loopback', '--hbone-default-windows'], known, flagsOf);
  assert.equal(r.kind, 'run');
  if (r.kind === 'run') assert.equal(resultsBaseName(r, ['cpu-prof']), 'hbone-loopback');
});
