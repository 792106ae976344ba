// Status conditions: replace one condition by type, keeping its lastTransitionTime when the status
// did not change so that rewriting the same state is a no-op for the store. Pure.

import { records, str } from './object-access';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface ConditionOptions {
  /** Deployment conditions also carry lastUpdateTime (changed when reason or message change). */
  updateTime?: boolean;
  /** Pod conditions carry lastProbeTime: null. */
  probeTime?: boolean;
}

export function upsertCondition(existing: unknown, next: ConditionInput, now: string,
  opts: ConditionOptions = {}): Record<string, unknown>[] {
  const all = records(existing).map((c) => ({ ...c }));
  const i = all.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? all[i] : undefined;
  const same = prev !== undefined && prev.status === next.status;
  const sameText = same && prev.reason === next.reason && prev.message === next.message;
  const cond: Record<string, unknown> = { type: next.type, status: next.status };
  if (opts.probeTime) cond.lastProbeTime = null;
  if (opts.updateTime) cond.lastUpdateTime = sameText ? str(prev.lastUpdateTime) ?? now : now;
  cond.lastTransitionTime = same ? str(prev.lastTransitionTime) ?? now : now;
  cond.reason = next.reason;
  cond.message = next.message;
  if (i >= 0) all[i] = cond;
  else all.push(cond);
  return all;
}
