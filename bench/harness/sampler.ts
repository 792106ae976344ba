// Samples CPU time and resident memory of a set of processes over a measured window: CPU as the
// utime+stime delta between the window's start and end, memory as VmRSS polled while it runs.

import { clockTicksPerSecond, readProcStat, readVmRssKb, type ProcStat } from './proc-stat';

function split(stat: ProcStat | undefined, hz: number): { user: number; system: number } {
  return stat ? { user: stat.utimeTicks / hz, system: stat.stimeTicks / hz } : { user: 0, system: 0 };
}

export interface SampleTarget {
  readonly name: string;
  readonly pid: number;
}

export interface ProcessUsage {
  readonly name: string;
  /** CPU seconds (user + system, all threads) spent inside the window. */
  readonly cpuSeconds: number;
  /** The user-mode and kernel-mode parts of cpuSeconds. */
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly rssMaxKb: number;
  readonly rssMeanKb: number;
  /** True when the process disappeared before the window ended (figures then undercount). */
  readonly exited: boolean;
}

export interface WindowUsage {
  readonly wallSeconds: number;
  readonly processes: readonly ProcessUsage[];
}

interface Track {
  readonly target: SampleTarget;
  start: { user: number; system: number };
  last: { user: number; system: number };
  rssMax: number;
  rssSum: number;
  rssCount: number;
  exited: boolean;
}

/** A running measurement window; `stop()` ends it and returns the figures. */
export interface Window {
  stop(): Promise<WindowUsage>;
}

/** Starts a window: reads every target's CPU now, then RSS every `intervalMs` until stopped. */
export async function startWindow(targets: readonly SampleTarget[], intervalMs = 250): Promise<Window> {
  const hz = await clockTicksPerSecond();
  const tracks: Track[] = [];
  for (const target of targets) {
    const stat = await readProcStat(target.pid);
    const cpu = split(stat, hz);
    tracks.push({ target, start: cpu, last: cpu, rssMax: 0, rssSum: 0, rssCount: 0, exited: stat === undefined });
  }
  const started = process.hrtime.bigint();

  const sampleRss = async (): Promise<void> => {
    for (const t of tracks) {
      if (t.exited) continue;
      const rss = await readVmRssKb(t.target.pid);
      if (rss === undefined) continue;
      t.rssMax = Math.max(t.rssMax, rss);
      t.rssSum += rss;
      t.rssCount++;
    }
  };
  let pending: Promise<void> = sampleRss();
  const timer = setInterval(() => {
    pending = pending.then(sampleRss);
  }, intervalMs);

  return {
    async stop(): Promise<WindowUsage> {
      clearInterval(timer);
      await pending;
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const t of tracks) {
        const stat = t.exited ? undefined : await readProcStat(t.target.pid);
        if (stat) t.last = split(stat, hz);
        else t.exited = true;
      }
      await sampleRss();
      return {
        wallSeconds,
        processes: tracks.map((t) => {
          const userSeconds = Math.max(0, t.last.user - t.start.user);
          const systemSeconds = Math.max(0, t.last.system - t.start.system);
          return {
            name: t.target.name,
            cpuSeconds: userSeconds + systemSeconds,
            userSeconds,
            systemSeconds,
            rssMaxKb: t.rssMax,
            rssMeanKb: t.rssCount > 0 ? t.rssSum / t.rssCount : 0,
            exited: t.exited,
          };
        }),
      };
    },
  };
}
