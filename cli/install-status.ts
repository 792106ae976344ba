// What `ambit install` decides while it waits (pure): whether the istiod Deployment and the ztunnel
// DaemonSet are ready (the rules of `kubectl rollout status`), a one-line progress summary of each,
// why a pod is not ready (scheduling, a container's waiting reason and message, its last exit, the
// latest warning event about it), and the `--timeout` duration.

export type Json = Record<string, unknown>;

const rec = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const recs = (v: unknown): Json[] => (Array.isArray(v) ? v.map(rec) : []);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface Readiness {
  ready: boolean;
  /** e.g. `deployment istio-system/istiod: 0 of 1 replicas available`. */
  summary: string;
}

function generationSeen(obj: Json): boolean {
  const meta = rec(obj.metadata);
  return num(rec(obj.status).observedGeneration) >= num(meta.generation);
}

/** A Deployment is ready when its latest spec is observed and every wanted replica is updated and available. */
export function deploymentReadiness(d: Json): Readiness {
  const meta = rec(d.metadata);
  const status = rec(d.status);
  const wanted = typeof rec(d.spec).replicas === 'number' ? num(rec(d.spec).replicas) : 1;
  const available = num(status.availableReplicas);
  const updated = num(status.updatedReplicas);
  const ready = generationSeen(d) && updated >= wanted && available >= wanted && num(status.replicas) - updated <= 0;
  return { ready, summary: `deployment ${str(meta.namespace)}/${str(meta.name)}: ${available} of ${wanted} replica(s) available` };
}

/** A DaemonSet is ready when its latest spec is observed and every scheduled pod is updated and ready. */
export function daemonSetReadiness(ds: Json): Readiness {
  const meta = rec(ds.metadata);
  const status = rec(ds.status);
  const desired = num(status.desiredNumberScheduled);
  const readyPods = num(status.numberReady);
  const updated = num(status.updatedNumberScheduled);
  const ready = generationSeen(ds) && rec(ds.status).desiredNumberScheduled !== undefined && updated >= desired && readyPods >= desired;
  const none = desired === 0 && ready ? ' (no node matches its node selector and tolerations)' : '';
  return { ready, summary: `daemonset ${str(meta.namespace)}/${str(meta.name)}: ${readyPods} of ${desired} pod(s) ready${none}` };
}

export function isPodReady(pod: Json): boolean {
  return recs(rec(pod.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Why a pod is not ready, as lines for a person: where it is, its phase, unscheduled reasons,
 * each container's waiting reason and message or last exit, and the latest Warning event.
 */
export function podProblem(pod: Json, events: readonly Json[] = []): string[] {
  const meta = rec(pod.metadata);
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const where = str(spec.nodeName) ? ` on ${str(spec.nodeName)}` : '';
  const lines = [`pod ${str(meta.namespace)}/${str(meta.name)}${where}: ${str(status.phase) || 'Pending'}, not ready`];
  const scheduled = recs(status.conditions).find((c) => c.type === 'PodScheduled');
  if (scheduled && scheduled.status === 'False') lines.push(`  not scheduled: ${str(scheduled.reason)} ${str(scheduled.message)}`.trimEnd());
  for (const cs of recs(status.containerStatuses)) {
    const state = rec(cs.state);
    const name = str(cs.name);
    const restarts = num(cs.restartCount);
    const last = rec(rec(cs.lastState).terminated);
    const lastText = Object.keys(last).length ? `; last exit code ${num(last.exitCode)} (${str(last.reason) || 'Error'})` : '';
    const restartText = restarts ? `, restarted ${restarts} time(s)` : '';
    if (Object.keys(rec(state.waiting)).length) {
      const w = rec(state.waiting);
      lines.push(`  container ${name} waiting: ${str(w.reason)}${str(w.message) ? `: ${str(w.message)}` : ''}${restartText}${lastText}`);
    } else if (Object.keys(rec(state.terminated)).length) {
      const t = rec(state.terminated);
      lines.push(`  container ${name} terminated: exit code ${num(t.exitCode)} (${str(t.reason)})${restartText}`);
    } else if (cs.ready !== true) {
      lines.push(`  container ${name} running but not ready (its readiness probe fails)${restartText}${lastText}`);
    }
  }
  const uid = str(meta.uid);
  const warnings = events
    .filter((e) => str(rec(e.involvedObject).uid) === uid && str(e.type) === 'Warning')
    .sort((a, b) => (str(a.lastTimestamp) < str(b.lastTimestamp) ? -1 : 1));
  const latest = warnings[warnings.length - 1];
  if (latest) lines.push(`  event ${str(latest.reason)}: ${str(latest.message)}`);
  return lines;
}

/**
 * A duration such as `120s`, `2m`, `1m30s`, `1h` or `500ms` (Go's notation, as kubectl's
 * flags take it), or a bare number of seconds, in milliseconds; undefined when not one.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    if (m.index !== consumed) return undefined;
    total += Number(m[1]) * unit[m[2]];
    consumed = m.index + m[0].length;
  }
  return consumed === t.length && consumed > 0 ? Math.round(total) : undefined;
}
