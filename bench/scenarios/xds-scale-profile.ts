// Where istiod's CPU goes, by source file (pure): self time of a V8 CPU profile grouped by the
// compiled file of each frame (dist/istiod/xds/connection.js → istiod/xds/connection), a package
// under node_modules (→ its package name), a Node built-in (→ node:<module>), or a V8 pseudo-frame
// such as (garbage collector) — a coarser and steadier view than single functions.

import type { CpuProfile } from '../harness/cpu-profile';

export interface FileTime {
  readonly file: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time. */
  readonly percent: number;
}

/** The group a frame's URL (and function name, for pseudo-frames) belongs to. */
export function fileGroup(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node:${m?.[1] ?? url.slice(5)}`;
  }
  const path = url.replace(/^file:\/\//, '');
  const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (nm) return nm[1] as string;
  const dist = /\/dist\/(.+?)(?:\.js)?$/.exec(path);
  if (dist) return dist[1] as string;
  const parts = path.split('/').filter((p) => p !== '');
  return parts.slice(-2).join('/');
}

/** Self time per file group, largest first, the first `topN` of them; idle time is left out. */
export function selfTimeByFile(profile: CpuProfile, topN = 15): FileTime[] {
  const groups = new Map<number, string>();
  for (const n of profile.nodes) groups.set(n.id, fileGroup(n.callFrame.url, n.callFrame.functionName));
  const perGroup = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const group = groups.get(profile.samples[i] as number);
    if (group === undefined || group === '(idle)') continue;
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    busyUs += dt;
    perGroup.set(group, (perGroup.get(group) ?? 0) + dt);
  }
  return [...perGroup.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, topN)
    .map(([file, us]) => ({ file, selfMs: Math.round(us / 100) / 10, percent: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0 }));
}
