// An index from an IP (pod address, Service VIP) to the resources claiming it, where two may claim
// one address for a while (a pod IP reused before the old pod's removal arrives): the most recent
// claim wins, and withdrawing it uncovers the one before.

export class ClaimIndex {
  /** key → claimant names, oldest first (the last one wins). */
  private readonly claims = new Map<string, string[]>();

  get(key: string): string | undefined {
    const list = this.claims.get(key);
    return list ? list[list.length - 1] : undefined;
  }

  claim(owner: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const list = (this.claims.get(key) ?? []).filter((o) => o !== owner);
      list.push(owner);
      this.claims.set(key, list);
    }
  }

  withdraw(owner: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const rest = (this.claims.get(key) ?? []).filter((o) => o !== owner);
      if (rest.length) this.claims.set(key, rest);
      else this.claims.delete(key);
    }
  }
}
