// The encoded form of istiod's xDS resources: per name the wire bytes, a version that is a short
// hash of those bytes (identical content → identical version, across restarts too, so a client
// reconnecting with initial_resource_versions is not resent what it holds) and the `network/IP`
// aliases on-demand clients subscribe by. Only the names reported as changed are re-encoded.
// Generic over the resource type (Address, Authorization).

import { createHash } from 'node:crypto';
import { addressResourceName, type Address } from '../../pkg/api/workload-types';
import { describeError } from '../../pkg/errors/mesh-error';

export interface CachedResource {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  /** The encoded message (the value of the Any in the response). */
  readonly bytes: Buffer;
}

/** 16 hex digits of SHA-256 over the encoded resource. */
export function resourceVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** `"<network>/<ip>"` for every address of a workload and every VIP of a service. */
export function addressAliases(address: Address): string[] {
  if (address.kind === 'workload') return address.workload.addresses.map((ip) => `${address.workload.network}/${ip}`);
  return address.service.addresses.map((a) => `${a.network}/${a.address}`);
}

export interface CacheUpdate {
  /** Names whose version changed, that appeared, or that disappeared. */
  readonly changed: ReadonlySet<string>;
  /** Names that could not be encoded (the previous version, if any, is kept). */
  readonly failed: readonly { readonly name: string; readonly error: string }[];
}

/** How one resource type is named, aliased and encoded. */
export interface ResourceCodec<T> {
  /** The resource's xDS name (must equal the key it is indexed under). */
  name(resource: T): string;
  aliases(resource: T): readonly string[];
  encode(resource: T): Buffer;
}

/** Encoded resources keyed by xDS name, kept in step with an index of plain resources. */
export class ResourceCache<T> {
  private readonly entries = new Map<string, CachedResource>();

  constructor(private readonly codec: ResourceCodec<T>) {}

  resources(): ReadonlyMap<string, CachedResource> {
    return this.entries;
  }

  /** Re-encodes `names` (or every name) from `current`; names absent from `current` are dropped. */
  update(current: ReadonlyMap<string, T>, names: Iterable<string> | 'all'): CacheUpdate {
    const changed = new Set<string>();
    const failed: { name: string; error: string }[] = [];
    const todo = names === 'all' ? new Set([...current.keys(), ...this.entries.keys()]) : names;
    for (const name of todo) {
      const resource = current.get(name);
      if (resource === undefined) {
        if (this.entries.delete(name)) changed.add(name);
        continue;
      }
      const own = this.codec.name(resource);
      if (own !== name) {
        failed.push({ name, error: `the index keys this resource as ${JSON.stringify(name)} but its xDS name is ${JSON.stringify(own)}` });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = this.codec.encode(resource);
      } catch (err) {
        failed.push({ name, error: describeError(err) });
        continue;
      }
      const version = resourceVersion(bytes);
      if (this.entries.get(name)?.version === version) continue;
      this.entries.set(name, Object.freeze({ name, version, aliases: Object.freeze([...this.codec.aliases(resource)]), bytes }));
      changed.add(name);
    }
    return { changed, failed };
  }
}

/** Encoded Address resources (aliased by `network/IP`). */
export class AddressResourceCache extends ResourceCache<Address> {
  constructor(encode: (address: Address) => Buffer) {
    super({ name: addressResourceName, aliases: addressAliases, encode });
  }
}
