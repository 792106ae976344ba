// The contract between the harness and a scenario: what a scenario gets to run with (options,
// a process supervisor, a temp dir, a logger) and what it hands back to be written as results.

import type { ProcessSupervisor } from './processes';
import type { BarPanel } from './svg-chart';
import type { ToolRequirement } from './tools';
import type { ToolVersionQuery } from './machine';

export interface ScenarioFlag {
  readonly name: string;
  readonly help: string;
}

export interface ScenarioContext {
  /** A short smoke run: seconds instead of minutes; figures are not comparable. */
  readonly quick: boolean;
  /** Rounds asked for with `--runs` (undefined: the scenario's default). */
  readonly runs?: number;
  /** Scenario flags given on the command line (without the leading `--`). */
  readonly flags: ReadonlySet<string>;
  readonly supervisor: ProcessSupervisor;
  /** A private temp dir, removed after the run. */
  readonly tmpDir: string;
  /** The repository root (where package.json is); compiled code is under `dist/`. */
  readonly repoRoot: string;
  readonly log: (line: string) => void;
  /**
   * Registers teardown for what the supervisor does not own (e.g. a local cluster's detached
   * daemon). Runs last-registered first, after the supervisor's processes stop, on success,
   * failure and Ctrl-C.
   */
  addCleanup(fn: () => Promise<void>): void;
}

export interface ScenarioReport {
  /** The knobs the run used (durations, rates, windows, pinning). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The measured figures, JSON-serialisable. */
  readonly figures: unknown;
  /** Markdown sections (tables, readings) placed under the generated header. */
  readonly markdown: string;
  readonly chart?: { readonly title: string; readonly subtitle?: string; readonly panels: readonly BarPanel[] };
  /** What went wrong in parts of the run (results are still written; the command exits 1). */
  readonly problems?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** One line for `--help` and the results header. */
  readonly summary: string;
  readonly flags: readonly ScenarioFlag[];
  readonly tools: readonly ToolRequirement[];
  /** Version commands recorded in the machine description. */
  readonly toolVersions: readonly ToolVersionQuery[];
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}
