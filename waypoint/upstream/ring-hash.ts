// The consistent-hash ring used by the consistent_hash balancer: a fixed number of virtual nodes
// per endpoint uid (so adding or removing one endpoint moves only the keys it owns, and nothing
// else), hashed with a fast 32-bit string hash, looked up by binary search. Pure and immutable
// once built; the balancer caches one ring per endpoint set.

/** Virtual nodes per endpoint while the ring stays under RING_ENTRY_CAP entries. */
export const VNODES_PER_ENDPOINT = 160;
/** Above ~6 500 endpoints each gets fewer virtual nodes so the ring stays bounded (~8 MiB). */
const RING_ENTRY_CAP = 1 << 20;

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche step. Not cryptographic. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing {
  /** The uids the ring was built from, in the order given (owners index into this). */
  readonly uids: readonly string[];
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(uids: readonly string[]) {
    this.uids = uids.slice();
    const n = uids.length;
    const perEndpoint = n === 0 ? 0 : Math.max(1, Math.min(VNODES_PER_ENDPOINT, Math.floor(RING_ENTRY_CAP / n)));
    // Pack (hash, owner) into one double so a numeric typed-array sort orders both at once.
    const packed = new Float64Array(n * perEndpoint);
    let k = 0;
    for (let owner = 0; owner < n; owner++) {
      const uid = uids[owner];
      for (let v = 0; v < perEndpoint; v++) packed[k++] = hash32(`${uid}#${v}`) * 0x200000 + owner;
    }
    packed.sort();
    this.points = new Uint32Array(packed.length);
    this.owners = new Uint32Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const p = packed[i];
      const owner = p % 0x200000;
      this.owners[i] = owner;
      this.points[i] = (p - owner) / 0x200000;
    }
  }

  /** True when the ring was built from exactly these uids in this order. */
  sameUids<E extends { readonly uid: string }>(endpoints: readonly E[]): boolean {
    if (endpoints.length !== this.uids.length) return false;
    for (let i = 0; i < endpoints.length; i++) if (endpoints[i].uid !== this.uids[i]) return false;
    return true;
  }

  /** Index (into `uids`) of the owner of `key`'s hash; -1 for an empty ring. */
  ownerOf(key: string): number {
    const len = this.points.length;
    if (len === 0) return -1;
    const h = hash32(key);
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === len ? 0 : lo];
  }
}
