// Markdown pieces every L4 scenario report shares (pure): number formatting, the topology and
// paths section, the rounds note, CPU-profile summaries and the list of problems.

import { markdownTable } from '../harness/results-writer';
import type { NamedProfile } from '../cluster/ztunnel-control';
import type { L4PathInfo } from './l4-figures';

export function n(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

export interface TopologyNote {
  /** e.g. `ztunnels and stunnels on core 0; server pods and load generators on core 1`. */
  readonly pinning: string;
  /** Niceness of every measured process (undefined: normal priority). */
  readonly nice?: number;
  readonly rounds: number;
}

export function labelOf(paths: readonly L4PathInfo[], id: string): string {
  return paths.find((p) => p.id === id)?.label ?? id;
}

export function topologySection(paths: readonly L4PathInfo[], t: TopologyNote): string {
  const out: string[] = [];
  out.push('## Topology', '');
  out.push(
    'A two-node local cluster of ambit\'s own (`ambit local up --nodes 2`, then `ambit install`): every node is a network namespace on a bridge, every pod a network namespace behind its node. ' +
    'Client pods run on node1, server pods on node2, so every path crosses pod → node1 → bridge → node2 → pod; the paths differ only in what carries the bytes between the nodes.',
    '',
  );
  out.push(`CPU: ${t.pinning}${t.nice !== undefined ? `; every measured process at nice ${t.nice}` : ''}.`, '');
  out.push(markdownTable(['path', 'what', 'tunnel processes (sampled)'], paths.map((p) => [p.label, p.description, p.tunnels.join(', ') || '–'])), '');
  if (t.rounds > 1) {
    out.push(`Every cell below is the median of ${t.rounds} rounds, each round running all paths back to back so a noisy moment hits all alike; the other rounds' headline values are listed beside it and every figure is in the JSON.`, '');
  }
  return out.join('\n');
}

export type { NamedProfile };

export function profilesSection(profiles: readonly NamedProfile[]): string {
  const out: string[] = [];
  for (const p of profiles) {
    out.push(`## CPU profile: ${p.process} (busy ${n(p.summary.busyMs / 1000, 1)} s of ${n(p.summary.totalMs / 1000, 1)} s, whole run incl. start-up; profiler on, so the figures above are inflated)`, '');
    out.push(markdownTable(['where', 'ms', '% of busy'], p.summary.categories.map((c) => [c.category, n(c.ms, 0), n(c.percent, 1)]), ['left', 'right', 'right']), '');
    out.push(markdownTable(['top self-time frames', 'ms', '% of busy'], p.summary.top.map((f) => [`\`${f.frame}\``, n(f.selfMs, 0), n(f.percent, 1)]), ['left', 'right', 'right']), '');
  }
  return out.join('\n');
}

export function problemsSection(problems: readonly string[]): string {
  return problems.length > 0 ? ['## Problems during the run', '', ...problems.map((p) => `- ${p}`), ''].join('\n') : '';
}

/** `ratio×` or `–`. */
export function times(v: number | null): string {
  return v === null ? '–' : `${v.toFixed(2)}×`;
}
