// DaemonSet decisions over plain data: which nodes get a pod, which pods go (node gone or no
// longer matching, duplicates, old template within maxUnavailable), and the status. Pure.

export interface DsNode {
  name: string;
  /** Ready, schedulable, matching the nodeSelector: a missing pod is created here. */
  shouldRun: boolean;
  /** Matching the nodeSelector: an existing pod may stay (Kubernetes keeps it on a NotReady node). */
  mayStay: boolean;
}

export interface DsPod {
  name: string;
  nodeName: string;
  current: boolean;
  ready: boolean;
  deleting: boolean;
  created: string;
}

export interface DsPlan {
  createOn: string[];
  delete: string[];
}

/** Which of several pods on one node to keep: current and ready first, then oldest. */
function keepOrder(a: DsPod, b: DsPod): number {
  const rank = (p: DsPod): number => (p.current ? 0 : 2) + (p.ready ? 0 : 1);
  return rank(a) - rank(b) || (a.created < b.created ? -1 : a.created > b.created ? 1 : 0) || (a.name < b.name ? -1 : 1);
}

/** The pod each node keeps (active pods only), after duplicates are dropped. */
export function keptPods(nodes: readonly DsNode[], pods: readonly DsPod[]): Map<string, DsPod> {
  const kept = new Map<string, DsPod>();
  for (const n of nodes) {
    if (!n.mayStay) continue;
    const mine = pods.filter((p) => !p.deleting && p.nodeName === n.name).sort(keepOrder);
    if (mine.length) kept.set(n.name, mine[0]);
  }
  return kept;
}

export function planDaemonSet(nodes: readonly DsNode[], pods: readonly DsPod[], opts: { maxUnavailable: number; onDelete: boolean }): DsPlan {
  const kept = keptPods(nodes, pods);
  const keptNames = new Set([...kept.values()].map((p) => p.name));
  const del = pods.filter((p) => !p.deleting && !keptNames.has(p.name)).map((p) => p.name);
  const terminatingOn = new Set(pods.filter((p) => p.deleting).map((p) => p.nodeName));
  const createOn = nodes
    .filter((n) => n.shouldRun && !kept.has(n.name) && !terminatingOn.has(n.name))
    .map((n) => n.name);
  if (opts.onDelete) return { createOn, delete: del };

  // Rolling update, node by node: an old pod goes when fewer than maxUnavailable nodes lack a
  // ready pod; unready old pods go at once (they are unavailable already). Nodes that are not
  // Ready or are cordoned keep what they run, since no new pod could start there.
  const wanted = nodes.filter((n) => n.shouldRun || kept.has(n.name));
  let unavailable = wanted.filter((n) => !kept.get(n.name)?.ready).length;
  for (const n of [...wanted].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = kept.get(n.name);
    if (!p || p.current || !n.shouldRun) continue;
    if (!p.ready) del.push(p.name);
    else if (unavailable < opts.maxUnavailable) { del.push(p.name); unavailable += 1; }
  }
  return { createOn, delete: del };
}

export function daemonSetStatus(nodes: readonly DsNode[], pods: readonly DsPod[], generation: number): Record<string, unknown> {
  const kept = keptPods(nodes, pods);
  const wanted = nodes.filter((n) => n.shouldRun || kept.has(n.name));
  const onWanted = wanted.map((n) => kept.get(n.name)).filter((p): p is DsPod => p !== undefined);
  const mayStay = new Set(nodes.filter((n) => n.mayStay).map((n) => n.name));
  const ready = onWanted.filter((p) => p.ready).length;
  return {
    observedGeneration: generation,
    desiredNumberScheduled: wanted.length,
    currentNumberScheduled: onWanted.length,
    numberMisscheduled: pods.filter((p) => !p.deleting && !mayStay.has(p.nodeName)).length,
    numberReady: ready,
    updatedNumberScheduled: onWanted.filter((p) => p.current).length,
    numberAvailable: ready,
    numberUnavailable: wanted.length - ready,
  };
}
