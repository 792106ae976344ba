// An index from a key (an IP, a VIP) to the resources claiming it, where several may claim the same
// key for a while (a pod IP reused by a new pod before the old pod's removal arrives). The most
// recent claim wins; withdrawing a claim uncovers the one before it, and withdrawing a claim that
// was overtaken leaves the winner in place.

export class ClaimIndex {
  /** key → claimant names, oldest first (the last one wins). */
  private readonly claims = new Map<string, string[]>();

  /** The current owner of `key`. */
  get(key: string): string | undefined {
    const list = this.claims.get(key);
    return list ? list[list.length - 1] : undefined;
  }

  /** `owner` now claims every key in `keys` (most recent claim; replaces its own earlier claims). */
  claim(owner: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const list = (this.claims.get(key) ?? []).filter((o) => o !== owner);
      list.push(owner);
      this.claims.set(key, list);
    }
  }

  /** Withdraws `owner`'s claims on `keys`. */
  withdraw(owner: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const list = this.claims.get(key);
      if (!list) continue;
      const rest = list.filter((o) => o !== owner);
      if (rest.length) this.claims.set(key, rest);
      else this.claims.delete(key);
    }
  }

  get size(): number {
    return this.claims.size;
  }
}
