// Turning the wanted capture chains and what `iptables-save` reports into one atomic
// `iptables-restore --noflush` input (pure): creates missing chains, rewrites ordered chains that
// differ, adds/deletes single per-pod rules, keeps each jump first in its built-in chain and never
// duplicated, and removes chains of ours that are no longer wanted (leftovers of an earlier run).

import { CAPTURE_TABLES, CHAIN_PREFIX, type CaptureRuleSet, type CaptureTable, type TableSpec } from './rules';

/** One table as `iptables-save` printed it: chain name → its `-A` lines in order. */
export type SavedTable = ReadonlyMap<string, readonly string[]>;
export type SavedTables = Partial<Record<CaptureTable, SavedTable>>;

/** Parses `iptables-save` output (the mangle and nat tables; others are ignored). */
export function parseIptablesSave(text: string): SavedTables {
  const out: SavedTables = {};
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      const name = line.slice(1);
      current = null;
      if ((CAPTURE_TABLES as readonly string[]).includes(name)) {
        current = new Map();
        out[name as CaptureTable] = current;
      }
    } else if (current && line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (!current.has(chain)) current.set(chain, []);
    } else if (current && line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      const rules = current.get(chain) ?? [];
      rules.push(line);
      current.set(chain, rules);
    }
  }
  return out;
}

export interface PlanOptions {
  /**
   * Rewrite every chain of ours and re-insert every jump even where they look right: what a
   * (re)start does, so nothing a previous run left behind survives.
   */
  readonly fromScratch?: boolean;
}

/** The target chain of a rule (`-j X` or `-g X`), if any. */
function targetOf(rule: string): string | undefined {
  const m = / -[jg] (\S+)/.exec(rule);
  return m?.[1];
}

function deleteLine(rule: string): string {
  return `-D${rule.slice(2)}`;
}

const EMPTY_TABLE: TableSpec = { chains: [], jumps: [] };

/**
 * The restore input that makes `saved` equal to `want` (null: nothing to do). With `want`
 * undefined every chain of ours and every jump to it is removed.
 */
export function planTables(want: CaptureRuleSet | undefined, saved: SavedTables, options: PlanOptions = {}): string | null {
  const sections: string[] = [];
  for (const table of CAPTURE_TABLES) {
    const lines = planTable(want?.tables[table] ?? EMPTY_TABLE, saved[table] ?? new Map<string, readonly string[]>(), options);
    if (lines.length) sections.push(`*${table}`, ...lines, 'COMMIT');
  }
  return sections.length ? `${sections.join('\n')}\n` : null;
}

function planTable(want: TableSpec, have: SavedTable, options: PlanOptions): string[] {
  const declare: string[] = [];
  const deletes: string[] = [];
  const inserts: string[] = [];
  const appends: string[] = [];
  const removeChains: string[] = [];
  const wanted = new Set(want.chains.map((c) => c.name));
  const ours = (chain: string) => chain.startsWith(CHAIN_PREFIX);

  // References from chains that are not ours to chains that are: exactly the wanted jumps, each
  // once and first in its built-in chain; anything else is deleted.
  const referenced = new Map<string, { chain: string; rules: string[] }>();
  for (const [chain, rules] of have) {
    if (ours(chain)) continue;
    for (const rule of rules) {
      const target = targetOf(rule);
      if (target && ours(target)) {
        const entry = referenced.get(target) ?? { chain, rules: [] };
        entry.rules.push(rule);
        referenced.set(target, entry);
      }
    }
  }
  const goodJumps = new Set<string>();
  for (const jump of want.jumps) {
    const line = `-A ${jump.from} -j ${jump.to}`;
    const refs = referenced.get(jump.to)?.rules ?? [];
    const first = have.get(jump.from)?.[0];
    if (!options.fromScratch && refs.length === 1 && refs[0] === line && first === line) goodJumps.add(jump.to);
  }
  for (const [target, entry] of referenced) {
    if (goodJumps.has(target)) continue;
    for (const rule of entry.rules) deletes.push(deleteLine(rule));
  }
  // Inserted in reverse so that, if two jumps share a built-in chain, the first listed ends up first.
  for (const jump of [...want.jumps].reverse()) {
    if (!goodJumps.has(jump.to)) inserts.push(`-I ${jump.from} 1 -j ${jump.to}`);
  }

  for (const chain of want.chains) {
    const current = have.get(chain.name);
    if (current === undefined || options.fromScratch || chain.ordered) {
      if (current !== undefined && !options.fromScratch && sameList(current, chain.rules)) continue;
      declare.push(`:${chain.name} - [0:0]`);
      appends.push(...chain.rules);
      continue;
    }
    // Disjoint rules: delete what is not wanted (and extra copies), add what is missing.
    const remaining = new Map<string, number>();
    for (const rule of chain.rules) remaining.set(rule, 1);
    for (const rule of current) {
      const left = remaining.get(rule) ?? 0;
      if (left > 0) remaining.set(rule, 0);
      else deletes.push(deleteLine(rule));
    }
    for (const rule of chain.rules) if ((remaining.get(rule) ?? 0) > 0) appends.push(rule);
  }

  const stale = [...have.keys()].filter((c) => ours(c) && !wanted.has(c)).sort();
  for (const chain of stale) {
    declare.push(`:${chain} - [0:0]`); // flushes it, so it no longer references anything
    removeChains.push(`-X ${chain}`);
  }
  return [...declare, ...deletes, ...inserts, ...appends, ...removeChains];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The whole rule set as `iptables-restore --noflush` input for tables holding nothing of ours. */
export function renderRestoreText(want: CaptureRuleSet): string {
  return planTables(want, {}) ?? '';
}

/** Chains of ours and jumps to them that `saved` still holds (empty: nothing left). */
export function leftoverRules(saved: SavedTables): string[] {
  const out: string[] = [];
  for (const table of CAPTURE_TABLES) {
    for (const [chain, rules] of saved[table] ?? new Map<string, readonly string[]>()) {
      if (chain.startsWith(CHAIN_PREFIX)) out.push(`${table}: chain ${chain}`);
      else for (const rule of rules) if (targetOf(rule)?.startsWith(CHAIN_PREFIX)) out.push(`${table}: ${rule}`);
    }
  }
  return out;
}
