// Evidence of new tunnel connections (and so of TLS handshakes) during a connect-rate window: the
// kernel's TCP counters ActiveOpens/PassiveOpens of the network namespace each tunnel process runs
// in, read from /proc/<pid>/net/snmp before and after. A tunnel process accepts the app's
// connection on one side and carries it on the other; a new tunnel TCP connection (one TLS
// handshake at most: neither ztunnel nor stunnel does TLS without a new TCP connection) shows as an
// open in *both* directions of some namespace, so min(active, passive) per namespace bounds the
// tunnel connections opened. The parsing and the arithmetic are pure; only `readTcpOpens` reads.

import { readFile, readlink } from 'node:fs/promises';
import type { SampleTarget } from '../harness/sampler';

export interface TcpOpenCounters {
  readonly activeOpens: number;
  readonly passiveOpens: number;
}

/** The `Tcp:` ActiveOpens and PassiveOpens of a /proc/net/snmp text, or undefined if absent. */
export function parseTcpSnmp(text: string): TcpOpenCounters | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return undefined;
  const names = lines[0].trim().split(/\s+/).slice(1);
  const values = lines[1].trim().split(/\s+/).slice(1).map(Number);
  const at = (name: string): number | undefined => {
    const i = names.indexOf(name);
    const v = i >= 0 ? values[i] : undefined;
    return v !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const activeOpens = at('ActiveOpens');
  const passiveOpens = at('PassiveOpens');
  return activeOpens === undefined || passiveOpens === undefined ? undefined : { activeOpens, passiveOpens };
}

/** The counters of one network namespace, with the tunnel processes that live in it. */
export interface NetnsSnapshot {
  /** `net:[inode]` — the namespace's identity. */
  readonly netns: string;
  readonly processes: readonly string[];
  readonly counters: TcpOpenCounters;
}

export interface NetnsOpens {
  readonly processes: readonly string[];
  readonly activeOpens: number;
  readonly passiveOpens: number;
}

/** Reads every target's namespace once (targets sharing a namespace are grouped); unreadable ones are skipped. */
export async function readTcpOpens(targets: readonly SampleTarget[]): Promise<NetnsSnapshot[]> {
  const byNetns = new Map<string, { processes: string[]; counters: TcpOpenCounters }>();
  for (const t of targets) {
    try {
      const netns = await readlink(`/proc/${t.pid}/ns/net`);
      const seen = byNetns.get(netns);
      if (seen) {
        seen.processes.push(t.name);
        continue;
      }
      const counters = parseTcpSnmp(await readFile(`/proc/${t.pid}/net/snmp`, 'utf8'));
      if (counters) byNetns.set(netns, { processes: [t.name], counters });
    } catch {
      // the process is gone or not ours to read: no evidence from it
    }
  }
  return [...byNetns.entries()].map(([netns, v]) => ({ netns, ...v }));
}

/** Per-namespace deltas between two snapshots (namespaces missing from either are left out). */
export function opensBetween(before: readonly NetnsSnapshot[], after: readonly NetnsSnapshot[]): NetnsOpens[] {
  const out: NetnsOpens[] = [];
  for (const a of after) {
    const b = before.find((x) => x.netns === a.netns);
    if (!b) continue;
    out.push({
      processes: a.processes,
      activeOpens: Math.max(0, a.counters.activeOpens - b.counters.activeOpens),
      passiveOpens: Math.max(0, a.counters.passiveOpens - b.counters.passiveOpens),
    });
  }
  return out;
}

/**
 * Upper bound of the tunnel TCP connections opened: the largest min(active, passive) over the
 * namespaces (each tunnel connection is an active open in one namespace and a passive open in the
 * other; the app's connections are the other direction). null without evidence.
 */
export function tunnelConnectionsOpened(opens: readonly NetnsOpens[]): number | null {
  if (opens.length === 0) return null;
  return Math.max(...opens.map((o) => Math.min(o.activeOpens, o.passiveOpens)));
}

/** App connections the tunnel processes saw: the largest open count in any one direction. */
export function appConnectionsSeen(opens: readonly NetnsOpens[]): number | null {
  if (opens.length === 0) return null;
  return Math.max(...opens.map((o) => Math.max(o.activeOpens, o.passiveOpens)));
}

export type HandshakeVerdict = 'pooled' | 'per-connection' | 'partial' | 'no-evidence';

/**
 * What the counters say about handshakes for `connections` app connections: `pooled` when fewer
 * than 5 % of them opened a tunnel connection, `per-connection` from 90 % up.
 */
export function handshakeVerdict(tunnelOpens: number | null, connections: number): HandshakeVerdict {
  if (tunnelOpens === null || connections <= 0) return 'no-evidence';
  const share = tunnelOpens / connections;
  if (share < 0.05) return 'pooled';
  return share >= 0.9 ? 'per-connection' : 'partial';
}
