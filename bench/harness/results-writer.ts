// Writes a scenario's results: `<name>.json` (figures plus machine, commit, command and settings),
// `<name>.md` (a summary a person reads) and `<name>.svg` (the chart), side by side.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitState, MachineDescription } from './machine';
import type { ScenarioReport } from './scenario';
import { renderBarChartSvg } from './svg-chart';

export interface RunMeta {
  readonly scenario: string;
  readonly summary: string;
  readonly command: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly quick: boolean;
  readonly git: GitState;
  readonly machine: MachineDescription;
  /** 1/5/15-minute load averages when the run started and ended (other work on the machine shows here). */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
}

export type Align = 'left' | 'right';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A GitHub-flavoured Markdown table; numbers should already be formatted as strings. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  const rule = headers.map((_, i) => (align?.[i] === 'right' ? '---:' : '---'));
  return [line(headers), `| ${rule.join(' | ')} |`, ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))].join('\n');
}

/** The Markdown document: a header (what, when, where, how to reproduce) and the scenario's body. */
export function renderMarkdown(meta: RunMeta, report: ScenarioReport, svgFile?: string): string {
  const m = meta.machine;
  const parts = [
    `# Benchmark: ${meta.scenario}${meta.quick ? ' (quick smoke run — figures not comparable)' : ''}`,
    '',
    meta.summary,
    '',
    markdownTable(['', ''], [
      ['command', `\`${meta.command}\``],
      ['started', meta.startedAt],
      ['duration', `${meta.durationSeconds.toFixed(0)} s`],
      ['commit', `${meta.git.commit.slice(0, 12)}${meta.git.dirty ? ' (work tree had changes)' : ''}`],
      ['cpu', `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB`],
      ['system', `${m.os}, kernel ${m.kernel}`],
      ['node', `${m.node} (OpenSSL ${m.nodeOpenssl}); system ${m.systemOpenssl}`],
      ['load average', `${meta.loadAverage.start.map((v) => v.toFixed(2)).join(' ')} at start, ${meta.loadAverage.end.map((v) => v.toFixed(2)).join(' ')} at end`],
      ...Object.entries(m.tools).map(([k, v]) => [k, v]),
    ]),
    '',
    report.markdown.trimEnd(),
    '',
  ];
  if (svgFile) parts.push(`![chart](${svgFile})`, '');
  return parts.join('\n');
}

export interface WrittenFiles {
  readonly json: string;
  readonly markdown: string;
  readonly svg?: string;
}

export async function writeResults(dir: string, baseName: string, meta: RunMeta, report: ScenarioReport): Promise<WrittenFiles> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${baseName}.json`);
  const markdown = join(dir, `${baseName}.md`);
  const svg = report.chart ? join(dir, `${baseName}.svg`) : undefined;
  const doc = { ...meta, settings: report.settings, figures: report.figures };
  await writeFile(json, `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(meta, report, svg ? `${baseName}.svg` : undefined));
  if (svg && report.chart) {
    await writeFile(svg, renderBarChartSvg(report.chart.panels, { title: report.chart.title, subtitle: report.chart.subtitle }));
  }
  return { json, markdown, svg };
}
