// Command-line parsing for `npm run bench -- <scenario> [--quick] [--runs N] [--out DIR] [--flag ...]`.
// Pure: returns the parsed command or a message for the person who typed it.

export interface BenchCommand {
  readonly kind: 'run';
  readonly scenario: string;
  readonly quick: boolean;
  readonly outDir?: string;
  /** `--runs N`: rounds of measurements (the scenario reports the median round). */
  readonly runs?: number;
  readonly flags: ReadonlySet<string>;
}

export type ParsedArgs = BenchCommand | { readonly kind: 'help' } | { readonly kind: 'error'; readonly message: string };

export function parseBenchArgs(argv: readonly string[], knownScenarios: readonly string[], scenarioFlags: (scenario: string) => readonly string[]): ParsedArgs {
  let scenario: string | undefined;
  let quick = false;
  let outDir: string | undefined;
  let runs: number | undefined;
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h' || a === 'help' || a === 'list') return { kind: 'help' };
    if (a === '--quick') quick = true;
    else if (a === '--out') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) return { kind: 'error', message: '--out needs a directory' };
      outDir = v;
    } else if (a.startsWith('--out=')) outDir = a.slice('--out='.length);
    else if (a === '--runs') {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20) return { kind: 'error', message: '--runs needs a count from 1 to 20' };
      runs = Number(v);
    }
    else if (a.startsWith('--')) flags.add(a.slice(2));
    else if (scenario === undefined) scenario = a;
    else return { kind: 'error', message: `unexpected argument '${a}' (one scenario per run)` };
  }
  if (scenario === undefined) return { kind: 'error', message: `name a scenario: ${knownScenarios.join(', ')}` };
  if (!knownScenarios.includes(scenario)) return { kind: 'error', message: `unknown scenario '${scenario}' (known: ${knownScenarios.join(', ')})` };
  const allowed = scenarioFlags(scenario);
  for (const f of flags) {
    if (!allowed.includes(f)) return { kind: 'error', message: `unknown option --${f} for ${scenario}${allowed.length ? ` (known: ${allowed.map((x) => `--${x}`).join(', ')})` : ''}` };
  }
  return { kind: 'run', scenario, quick, outDir, runs, flags };
}

/** File base name for results: the scenario, plus `.quick` / `.<flag>` suffixes for non-default runs. */
export function resultsBaseName(cmd: BenchCommand, suffixFlags: readonly string[]): string {
  const suffixes = suffixFlags.filter((f) => cmd.flags.has(f));
  return [cmd.scenario, ...(cmd.quick ? ['quick'] : []), ...suffixes].join('.');
}
