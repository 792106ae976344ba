// Markdown pieces both L7 scenario reports share (pure): the topology and paths section (where the
// waypoint and HAProxy run and why, what is pinned where), and the note that plain HAProxy has no
// mTLS. Number formatting and the problems list come from the L4 reports.

import { markdownTable } from '../harness/results-writer';
import type { L7PathInfo } from './l7-figures';

export interface L7TopologyNote {
  readonly pinning: string;
  /** Niceness of every measured process (undefined: normal priority). */
  readonly nice?: number;
  readonly rounds: number;
}

export function labelOf(paths: readonly L7PathInfo[], id: string): string {
  return paths.find((p) => p.id === id)?.label ?? id;
}

export function l7TopologySection(paths: readonly L7PathInfo[], t: L7TopologyNote): string {
  const out: string[] = ['## Topology', ''];
  out.push(
    'A two-node local cluster of ambit\'s own (`ambit local up --nodes 2`, `ambit install`): every node is a network namespace on a bridge, every pod a network namespace behind its node. ' +
      'Client pods run on node1, the 1 KiB HTTP/1.1 backend on node2, so every path crosses pod → node1 → bridge → node2 → pod. ' +
      'The waypoint is deployed as a user would (`ambit waypoint apply -n l7-waypoint --enroll-namespace --wait`), then its Deployment gets a nodeSelector for node2: beside the servers, where HAProxy runs too, so both L7 hops sit at the same place and every path crosses the bridge once. ' +
      'A trivial HTTPRoute on the Service (prefix `/`, one response header set, the Service as backend) makes the waypoint run its L7 routing; the path check requires that header.',
    '',
  );
  out.push(`CPU: ${t.pinning}${t.nice !== undefined ? `; every measured process at nice ${t.nice}` : ''}.`, '');
  out.push(markdownTable(['path', 'what', 'proxy processes (sampled)'], paths.map((p) => [p.label, p.description, p.processes.join(', ') || '–'])), '');
  if (paths.some((p) => p.id === 'waypoint')) {
    out.push('The waypoint runs as deployed, with its defaults: among them one access-log line per request to its pod log (HAProxy and stunnel here log nothing; Istio\'s waypoints log only when access logging is switched on), its request metrics, and an `x-request-id` for requests without one.', '');
  }
  if (paths.some((p) => p.id === 'haproxy')) {
    out.push('Plain HAProxy is an L7 hop **without mTLS** (plain HTTP in and out): it shows what HTTP proxying alone costs. ' +
      (paths.some((p) => p.id === 'haproxy-tls')
        ? '"HAProxy + mTLS" adds TLS 1.3 with client certificates on both sides of the same HAProxy (stunnel4 in node1\'s netns in front, stunnel4 in node2\'s behind, certificates from a throw-away mesh CA, the mesh\'s cipher suites): the waypoint path\'s hops and TLS sessions, so it is the like-for-like peer.'
        : 'The mTLS variant was not run.'), '');
  }
  if (t.rounds > 1) {
    out.push(`Every cell below is the median of ${t.rounds} rounds, each round running all paths back to back so a noisy moment hits all alike; the other rounds' headline values are listed beside it and every figure is in the JSON.`, '');
  }
  return out.join('\n');
}
