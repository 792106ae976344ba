// Per-request endpoint choice for a backend (DestinationRule loadBalancer): round robin, least
// request (power of two choices), random, and consistent hash (ring hash over endpoint uids), plus
// the hash key a request carries (header, cookie, source IP or query parameter). Randomness and
// in-flight counts come in through PickContext; the caller passes only usable endpoints (healthy,
// not ejected), so a set change (an ejection, a new pod) is just a different list.

import type { Backend, ConsistentHash } from '../../pkg/api/waypoint-types';
import { queryParam } from '../routing/query';
import { HashRing } from './ring-hash';

export interface PickContext {
  /** Consistent-hash key of the request; absent = no key (consistent_hash falls back to random). */
  readonly hashKey?: string;
  /** In [0, 1). */
  readonly random: () => number;
  /** In-flight requests to an endpoint. */
  readonly active: (uid: string) => number;
}

export interface Balancer {
  pick<E extends { readonly uid: string }>(endpoints: readonly E[], ctx: PickContext): E | undefined;
}

function randomIndex(n: number, random: () => number): number {
  const i = Math.floor(random() * n);
  return i >= n ? n - 1 : i < 0 ? 0 : i;
}

class RandomBalancer implements Balancer {
  pick<E extends { readonly uid: string }>(endpoints: readonly E[], ctx: PickContext): E | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    return endpoints[n === 1 ? 0 : randomIndex(n, ctx.random)];
  }
}

/**
 * A counter modulo the current list length. It starts at a random offset (so many waypoints do
 * not all hit the first endpoint) and is kept below the length, so a list that shrinks or grows
 * just continues the rotation from where it was.
 */
class RoundRobinBalancer implements Balancer {
  private next = -1;

  pick<E extends { readonly uid: string }>(endpoints: readonly E[], ctx: PickContext): E | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    if (this.next < 0) this.next = randomIndex(n, ctx.random);
    const i = this.next % n;
    this.next = i + 1 === n ? 0 : i + 1;
    return endpoints[i];
  }
}

/** Envoy's unweighted least request: two distinct random candidates, the less busy wins, ties random. */
class LeastRequestBalancer implements Balancer {
  pick<E extends { readonly uid: string }>(endpoints: readonly E[], ctx: PickContext): E | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    if (n === 1) return endpoints[0];
    const i = randomIndex(n, ctx.random);
    let j = randomIndex(n - 1, ctx.random);
    if (j >= i) j++;
    const a = endpoints[i];
    const b = endpoints[j];
    const ai = ctx.active(a.uid);
    const bi = ctx.active(b.uid);
    if (ai !== bi) return ai < bi ? a : b;
    return ctx.random() < 0.5 ? a : b;
  }
}

/** Rings kept per balancer: enough for a set that flips between a few states (an ejection). */
const RING_CACHE_SIZE = 4;

/** Ring hash over uids; a ring is built only for an endpoint set (uids, in order) not seen lately. */
class ConsistentHashBalancer implements Balancer {
  /** Most recent first. */
  private readonly rings: HashRing[] = [];
  private lastSource: readonly unknown[] | undefined;
  private readonly fallback = new RandomBalancer();

  pick<E extends { readonly uid: string }>(endpoints: readonly E[], ctx: PickContext): E | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    if (ctx.hashKey === undefined) return this.fallback.pick(endpoints, ctx);
    if (n === 1) return endpoints[0];
    const ring = this.ringFor(endpoints);
    const owner = ring.ownerOf(ctx.hashKey);
    const e = endpoints[owner];
    if (e !== undefined && e.uid === ring.uids[owner]) return e;
    // The caller changed the array in place: forget the identity shortcut and look again.
    this.lastSource = undefined;
    return endpoints[this.ringFor(endpoints).ownerOf(ctx.hashKey)];
  }

  private ringFor<E extends { readonly uid: string }>(endpoints: readonly E[]): HashRing {
    const first = this.rings[0];
    if (first !== undefined && this.lastSource === endpoints) return first;
    this.lastSource = endpoints;
    for (let i = 0; i < this.rings.length; i++) {
      const ring = this.rings[i];
      if (ring.sameUids(endpoints)) {
        if (i > 0) {
          this.rings.splice(i, 1);
          this.rings.unshift(ring);
        }
        return ring;
      }
    }
    const ring = new HashRing(endpoints.map((e) => e.uid));
    this.rings.unshift(ring);
    if (this.rings.length > RING_CACHE_SIZE) this.rings.pop();
    return ring;
  }
}

export function createBalancer(lb: Backend['lb']): Balancer {
  switch (lb.kind) {
    case 'round_robin': return new RoundRobinBalancer();
    case 'least_request': return new LeastRequestBalancer();
    case 'random': return new RandomBalancer();
    case 'consistent_hash': return new ConsistentHashBalancer();
  }
}

/** The value of cookie `name` in a Cookie header ("a=1; b=2"; crumbs joined with ',' also work). */
export function cookieValue(header: string, name: string): string | undefined {
  let start = 0;
  const len = header.length;
  while (start < len) {
    let end = start;
    while (end < len && header.charCodeAt(end) !== 0x3b && header.charCodeAt(end) !== 0x2c) end++;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      const v = header.slice(eq + 1, end).trim();
      return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    }
    start = end + 1;
  }
  return undefined;
}

/** The consistent-hash key of a request; undefined when the policy names something it lacks. */
export function hashKeyFor(
  hash: ConsistentHash | undefined,
  req: { header(name: string): string | undefined; readonly query: string; readonly sourceIp: string },
): string | undefined {
  if (hash === undefined) return undefined;
  switch (hash.source) {
    case 'header': return req.header(hash.name.toLowerCase());
    case 'cookie': {
      const cookie = req.header('cookie');
      return cookie === undefined ? undefined : cookieValue(cookie, hash.name);
    }
    case 'source_ip': return req.sourceIp === '' ? undefined : req.sourceIp;
    case 'query': return queryParam(req.query, hash.name);
  }
}
