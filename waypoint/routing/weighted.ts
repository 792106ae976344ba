// Weighted choice (canary splits, mirrors' siblings): an item is picked with probability
// proportional to its weight; weights that are 0, negative or not finite are never picked.
// Randomness is a parameter, so the choice is pure and testable.

function usableWeight(w: number): number {
  return Number.isFinite(w) && w > 0 ? w : 0;
}

/** One item ∝ weight; undefined when no item has a positive weight. `random()` in [0, 1). */
export function pickWeighted<T extends { readonly weight: number }>(items: readonly T[], random: () => number): T | undefined {
  let total = 0;
  let last: T | undefined;
  for (const item of items) {
    const w = usableWeight(item.weight);
    if (w > 0) {
      total += w;
      last = item;
    }
  }
  if (last === undefined) return undefined;
  let point = random() * total;
  for (const item of items) {
    const w = usableWeight(item.weight);
    if (w === 0) continue;
    if (point < w) return item;
    point -= w;
  }
  // Floating-point rounding (or a random() of exactly 1): the last positive item.
  return last;
}
