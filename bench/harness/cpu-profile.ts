// Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function, the top
// frames, and a coarse split into garbage collection, idle, Node internals, project code and the
// rest — enough to say where an agent's CPU goes without opening DevTools.

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds since the previous sample, one per sample. */
  readonly timeDeltas: readonly number[];
}

export interface FrameTime {
  /** `function (file:line)`, file shortened to its last two path segments. */
  readonly frame: string;
  readonly selfMs: number;
  readonly percent: number;
}

export const FrameCategory = {
  Gc: 'garbage collector',
  Idle: 'idle (event loop waiting)',
  Program: 'program (native code not called from JS: libuv, OpenSSL, nghttp2 callbacks)',
  Native: 'native bindings called from JS (socket writes, TLS, http2 C++)',
  NodeInternals: 'node internals (node:*)',
  Project: 'project code (dist/pkg, dist/bench)',
  Other: 'other',
} as const;
export type FrameCategory = (typeof FrameCategory)[keyof typeof FrameCategory];

export interface ProfileSummary {
  readonly totalMs: number;
  /** Total excluding idle: the time the process was busy. */
  readonly busyMs: number;
  readonly top: readonly FrameTime[];
  readonly categories: readonly { readonly category: FrameCategory; readonly ms: number; readonly percent: number }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates the parts of a parsed `.cpuprofile` the summary uses; a message when it is not one. */
export function asCpuProfile(doc: unknown): CpuProfile | string {
  if (!isRecord(doc) || !Array.isArray(doc.nodes) || !Array.isArray(doc.samples) || !Array.isArray(doc.timeDeltas)) {
    return 'not a V8 CPU profile (expected nodes, samples and timeDeltas)';
  }
  const nodes: ProfileNode[] = [];
  for (const n of doc.nodes) {
    if (!isRecord(n) || typeof n.id !== 'number' || !isRecord(n.callFrame)) return 'a profile node lacks id or callFrame';
    const cf = n.callFrame;
    nodes.push({
      id: n.id,
      callFrame: {
        functionName: typeof cf.functionName === 'string' ? cf.functionName : '',
        url: typeof cf.url === 'string' ? cf.url : '',
        lineNumber: typeof cf.lineNumber === 'number' ? cf.lineNumber : -1,
      },
    });
  }
  const samples = doc.samples.filter((s): s is number => typeof s === 'number');
  const timeDeltas = doc.timeDeltas.filter((s): s is number => typeof s === 'number');
  if (samples.length !== timeDeltas.length) return 'samples and timeDeltas differ in length';
  return { nodes, samples, timeDeltas };
}

function shortUrl(url: string): string {
  const clean = url.replace(/^file:\/\//, '');
  const parts = clean.split('/').filter((p) => p.length > 0);
  return parts.slice(-2).join('/');
}

function frameName(cf: CallFrame): string {
  const fn = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  if (cf.url === '') return fn;
  return `${fn} (${shortUrl(cf.url)}:${cf.lineNumber + 1})`;
}

export function categorize(cf: CallFrame): FrameCategory {
  if (cf.functionName === '(garbage collector)') return FrameCategory.Gc;
  if (cf.functionName === '(idle)') return FrameCategory.Idle;
  if (cf.functionName === '(program)') return FrameCategory.Program;
  if (cf.url === '' && !cf.functionName.startsWith('(')) return FrameCategory.Native;
  if (cf.url.startsWith('node:')) return FrameCategory.NodeInternals;
  if (/\/dist\/(pkg|bench)\//.test(cf.url)) return FrameCategory.Project;
  return FrameCategory.Other;
}

/**
 * Self time per frame (each sample's time delta charged to the node it hit; the delta is the time
 * since the previous sample, so it is charged to the sample that ends it — V8's convention).
 */
export function summarizeCpuProfile(profile: CpuProfile, topN = 15): ProfileSummary {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const perFrame = new Map<string, number>();
  const perCategory = new Map<FrameCategory, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = Math.max(0, profile.timeDeltas[i]);
    if (!node) continue;
    totalUs += dt;
    const category = categorize(node.callFrame);
    perCategory.set(category, (perCategory.get(category) ?? 0) + dt);
    if (category === FrameCategory.Idle) {
      idleUs += dt;
      continue;
    }
    const name = frameName(node.callFrame);
    perFrame.set(name, (perFrame.get(name) ?? 0) + dt);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number): number => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  const top = [...perFrame.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, topN)
    .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 100) / 10, percent: pct(us) }));
  const categories = [...perCategory.entries()]
    .filter(([c]) => c !== FrameCategory.Idle)
    .sort((a, b) => b[1] - a[1])
    .map(([category, us]) => ({ category, ms: Math.round(us / 100) / 10, percent: pct(us) }));
  return { totalMs: Math.round(totalUs / 100) / 10, busyMs: Math.round(busyUs / 100) / 10, top, categories };
}
