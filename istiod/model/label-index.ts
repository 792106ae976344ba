// A multimap from one label pair (`key=value`) to ids, so "which pods carry this selector" and
// "which Services could select this pod" are answered without scanning a whole namespace.

import type { Labels } from '../kube/mesh-types';

const pairKey = (k: string, v: string): string => `${k}\u0000${v}`;

export class PairIndex {
  private readonly byPair = new Map<string, Set<string>>();

  add(id: string, pairs: Labels): void {
    for (const [k, v] of Object.entries(pairs)) {
      const key = pairKey(k, v);
      let ids = this.byPair.get(key);
      if (!ids) this.byPair.set(key, (ids = new Set()));
      ids.add(id);
    }
  }

  remove(id: string, pairs: Labels): void {
    for (const [k, v] of Object.entries(pairs)) {
      const key = pairKey(k, v);
      const ids = this.byPair.get(key);
      if (ids?.delete(id) && ids.size === 0) this.byPair.delete(key);
    }
  }

  /** Ids indexed under the pair. */
  get(k: string, v: string): ReadonlySet<string> | undefined {
    return this.byPair.get(pairKey(k, v));
  }

  /** Ids indexed under any of the pairs. */
  union(pairs: Labels): Set<string> {
    const out = new Set<string>();
    for (const [k, v] of Object.entries(pairs)) for (const id of this.byPair.get(pairKey(k, v)) ?? []) out.add(id);
    return out;
  }

  /** Ids indexed under every pair of a non-empty selector (the smallest posting list, intersected). */
  all(selector: Labels): string[] {
    const lists: ReadonlySet<string>[] = [];
    for (const [k, v] of Object.entries(selector)) {
      const ids = this.byPair.get(pairKey(k, v));
      if (!ids) return [];
      lists.push(ids);
    }
    if (lists.length === 0) return [];
    lists.sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = lists as [ReadonlySet<string>, ...ReadonlySet<string>[]];
    return [...smallest].filter((id) => rest.every((l) => l.has(id)));
  }
}

/** The one pair a Service's selector is indexed under (a pod must carry every pair anyway). */
export function firstPair(selector: Labels): Labels {
  const keys = Object.keys(selector).sort();
  const k = keys[0];
  return k === undefined ? {} : { [k]: selector[k] as string };
}
