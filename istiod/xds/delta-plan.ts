// The delta xDS decisions, pure over plain data: how a request changes a client's subscription
// (wildcard or explicit names/aliases), what to send a client given what it holds (changed
// resources and removals only), and how an ACK or a NACK changes what it holds. The stream code
// (connection.ts) only applies these.

import type { CachedResource } from './resource-cache';

export const WILDCARD = '*';

export interface Subscription {
  /** Every resource of the type. */
  readonly wildcard: boolean;
  /** Explicit resource names or `network/IP` aliases. */
  readonly names: ReadonlySet<string>;
}

export const NO_SUBSCRIPTION: Subscription = Object.freeze({ wildcard: false, names: new Set<string>() });

export interface SubscriptionChange {
  readonly subscription: Subscription;
  /** Explicit names newly subscribed (reported as removed when nothing matches them). */
  readonly added: readonly string[];
  /** Explicit names dropped. */
  readonly dropped: readonly string[];
  /** Whether anything changed. */
  readonly changed: boolean;
}

/**
 * Applies a request's subscribe/unsubscribe lists. The first request of a type with an empty
 * subscribe list means wildcard (legacy wildcard); `*` subscribes/unsubscribes the wildcard, so
 * subscribe ["*"] + unsubscribe ["*"] in one request means "explicit names only, none yet".
 */
export function applySubscription(
  current: Subscription, subscribe: readonly string[], unsubscribe: readonly string[], first: boolean,
): SubscriptionChange {
  let wildcard = current.wildcard || (first && subscribe.length === 0);
  const names = new Set(current.names);
  const added: string[] = [];
  const dropped: string[] = [];
  for (const name of subscribe) {
    if (name === WILDCARD) wildcard = true;
    else if (!names.has(name)) { names.add(name); added.push(name); }
  }
  for (const name of unsubscribe) {
    if (name === WILDCARD) wildcard = false;
    else if (names.delete(name)) {
      dropped.push(name);
      const i = added.indexOf(name);
      if (i >= 0) added.splice(i, 1);
    }
  }
  const changed = first || wildcard !== current.wildcard || added.length > 0 || dropped.length > 0;
  return { subscription: { wildcard, names }, added, dropped, changed };
}

/** Whether a subscription covers a resource (by wildcard, name or one of its aliases). */
export function wants(subscription: Subscription, resource: CachedResource): boolean {
  if (subscription.wildcard || subscription.names.has(resource.name)) return true;
  return resource.aliases.some((a) => subscription.names.has(a));
}

/** Marks, in the `rejected` map, a removal the client NACKed. */
export const REJECTED_REMOVAL = '';

export interface PlanInput {
  readonly resources: ReadonlyMap<string, CachedResource>;
  readonly subscription: Subscription;
  /** name → version the client holds (ACKed, or reported in initial_resource_versions). */
  readonly held: ReadonlyMap<string, string>;
  /** name → version (or REJECTED_REMOVAL) the client NACKed: not resent until it changes again. */
  readonly rejected: ReadonlyMap<string, string>;
  /** The names to look at: those that changed, or 'all'. */
  readonly scope: ReadonlySet<string> | 'all';
  /** Explicit names just subscribed; those matching no resource are reported removed. */
  readonly newlySubscribed?: ReadonlySet<string>;
  /** Stop adding resources once the response would exceed about this many bytes (at least one is always sent). */
  readonly maxBytes?: number;
}

export interface Plan {
  readonly resources: readonly CachedResource[];
  readonly removed: readonly string[];
  /** Some resources were left out for size: plan again (scope 'all') after this one is ACKed. */
  readonly truncated: boolean;
}

/** Field tags, lengths and the Any's type URL around one resource: a generous per-resource allowance. */
const RESOURCE_FRAMING_BYTES = 96;

/** An upper estimate of a resource's encoded size inside a DeltaDiscoveryResponse. */
export function resourceWireSize(r: CachedResource): number {
  let size = r.bytes.length + r.name.length * 3 + r.version.length + RESOURCE_FRAMING_BYTES;
  for (const a of r.aliases) size += a.length * 3 + 4;
  return size;
}

/** What to send a client so that it holds exactly what it subscribed to, given what it holds now. */
export function planDelta(input: PlanInput): Plan {
  const { resources, subscription, held, rejected } = input;
  const candidates: CachedResource[] = [];
  const removed: string[] = [];
  const names: Iterable<string> = input.scope === 'all' ? new Set([...resources.keys(), ...held.keys(), ...rejected.keys()]) : input.scope;
  for (const name of names) {
    const resource = resources.get(name);
    if (resource) {
      if (wants(subscription, resource) && held.get(name) !== resource.version && rejected.get(name) !== resource.version) candidates.push(resource);
    } else if ((held.has(name) || rejected.has(name)) && rejected.get(name) !== REJECTED_REMOVAL) {
      removed.push(name);
    }
  }
  const fresh = input.newlySubscribed;
  if (fresh && fresh.size > 0 && !subscription.wildcard) {
    const aliases = new Set<string>();
    for (const r of resources.values()) for (const a of r.aliases) aliases.add(a);
    const listed = new Set(removed);
    for (const name of fresh) {
      if (subscription.names.has(name) && !resources.has(name) && !aliases.has(name) && !listed.has(name)) removed.push(name);
    }
  }
  if (input.maxBytes === undefined) return { resources: candidates, removed, truncated: false };
  // Removals always go out (they are small and bounded by what the client holds); resources fill the rest.
  let bytes = 0;
  for (const name of removed) bytes += name.length * 3 + 4;
  const send: CachedResource[] = [];
  let truncated = false;
  for (const r of candidates) {
    const size = resourceWireSize(r);
    if (send.length > 0 && bytes + size > input.maxBytes) {
      truncated = true;
      continue;
    }
    bytes += size;
    send.push(r);
  }
  return { resources: send, removed, truncated };
}

/** One response waiting for its ACK: what it would make the client hold. */
export interface InFlight {
  readonly nonce: string;
  readonly versions: ReadonlyMap<string, string>;
  readonly removed: readonly string[];
}

/** An ACK: the client now holds what the response carried. */
export function acknowledge(held: Map<string, string>, rejected: Map<string, string>, response: InFlight): void {
  for (const [name, version] of response.versions) {
    held.set(name, version);
    rejected.delete(name);
  }
  for (const name of response.removed) {
    held.delete(name);
    rejected.delete(name);
  }
}

/**
 * A NACK: the client kept its previous config. Remember what it refused so the same versions are
 * not sent again (no resend loop); a later change of those resources is sent as usual.
 */
export function reject(rejected: Map<string, string>, response: InFlight): void {
  for (const [name, version] of response.versions) rejected.set(name, version);
  for (const name of response.removed) rejected.set(name, REJECTED_REMOVAL);
}

/** Drops from `held`/`rejected` the names a subscription change no longer covers (the client drops them itself). */
export function forgetUnwanted(
  held: Map<string, string>, rejected: Map<string, string>, subscription: Subscription,
  resources: ReadonlyMap<string, CachedResource>, dropped: readonly string[],
): void {
  for (const map of [held, rejected]) {
    for (const name of dropped) map.delete(name);
    if (subscription.wildcard) continue;
    for (const name of [...map.keys()]) {
      const resource = resources.get(name);
      if (resource && !wants(subscription, resource)) map.delete(name);
    }
  }
}
