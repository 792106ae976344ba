// Shared pieces of server-side printing (meta.k8s.io Table): the column and printer types, the
// Name/Age columns every printer starts with, kubectl's human durations, and small readers that
// narrow the unknown fields of stored objects. Pure; no I/O.

import { isRecord, KubeObject } from './types';

/** One entry of Table.columnDefinitions. */
export interface ColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean or date. */
  type: string;
  format: string;
  description: string;
  /** 0 = always shown; higher values only with `kubectl get -o wide`. */
  priority: number;
}

/** A table cell: what kubectl prints (null prints as nothing). */
export type Cell = string | number | boolean | null;

export interface RowCondition { type: string; status: string; reason?: string; message?: string }

/** Turns objects of one kind into table rows; `now` is ms since the epoch (ages are relative to it). */
export interface Printer {
  columns: ColumnDefinition[];
  cells(obj: KubeObject, now: number): Cell[];
  conditions?(obj: KubeObject): RowCondition[] | undefined;
}

export const NONE = '<none>';

export const column = (name: string, type: string, description: string, priority = 0, format = ''): ColumnDefinition =>
  ({ name, type, format, description, priority });

export const NAME_COLUMN = column('Name', 'string', 'Name must be unique within a namespace (or the cluster, for cluster-scoped kinds).', 0, 'name');
export const AGE_COLUMN = column('Age', 'string', 'Time since the object was created (metadata.creationTimestamp).');

/**
 * kubectl's short duration (k8s.io/apimachinery duration.HumanDuration): seconds below 2m,
 * minutes+seconds below 10m, minutes below 3h, hours+minutes below 8h, hours below 2d,
 * days+hours below 8d, days below 2y, years+days below 8y, then years.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Time since an RFC 3339 timestamp as kubectl prints it; `<unknown>` when absent or unreadable. */
export function since(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  const at = Date.parse(ts);
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now - at);
}

export const age = (obj: KubeObject, now: number): string => since(obj.metadata.creationTimestamp, now);

// Narrowing readers for the unknown parts of objects.
export const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
export const recs = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
export const orNone = (s: string): string => (s === '' ? NONE : s);

/** `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(v: unknown): string {
  const entries = Object.entries(rec(v)).filter((e): e is [string, string] => typeof e[1] === 'string');
  if (entries.length === 0) return NONE;
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, val]) => `${k}=${val}`).join(',');
}

/** A LabelSelector object as kubectl prints it (`app=web,tier in (a,b),!gone`), or `<none>`. */
export function formatLabelSelector(v: unknown): string {
  const sel = rec(v);
  const parts: string[] = [];
  const labels = formatLabels(sel.matchLabels);
  if (labels !== NONE) parts.push(labels);
  for (const expr of recs(sel.matchExpressions)) {
    const key = str(expr.key);
    const values = strings(expr.values).slice().sort();
    switch (expr.operator) {
      case 'In': parts.push(`${key} in (${values.join(',')})`); break;
      case 'NotIn': parts.push(`${key} notin (${values.join(',')})`); break;
      case 'Exists': parts.push(key); break;
      case 'DoesNotExist': parts.push(`!${key}`); break;
      default: break;
    }
  }
  return parts.length === 0 ? NONE : parts.join(',');
}

/** Up to `max` entries joined with ',' and ` + N more...` for the rest (kubectl's list cells). */
export function truncatedList(items: string[], max: number, empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}
