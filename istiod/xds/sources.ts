// Where the xDS server's resources come from, one source per type URL: the current encoded
// resources, a change feed (debounced by the server), and a refresh that re-derives the changed
// names. The Address source sits on the model's AddressIndex, the Authorization source on the
// policy index, the WaypointConfig source on the waypoint config index; a type with nothing
// behind it can be served empty so a client's initial sync still completes.

import { authorizationResourceName, type Authorization } from '../../pkg/api/authorization-types';
import { waypointConfigName, type WaypointConfig } from '../../pkg/api/waypoint-types';
import type { Address } from '../../pkg/api/workload-types';
import type { Logger } from '../../pkg/log/logger';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL } from '../../pkg/xds/types';
import type { PolicyIndex } from '../model/policy-index';
import type { AddressIndex } from '../model/types';
import { AddressResourceCache, ResourceCache, type CacheUpdate, type CachedResource } from './resource-cache';

export interface ResourceSource {
  readonly typeUrl: string;
  /** Resolves once the resources reflect a full first view of the cluster. */
  readonly synced: Promise<void>;
  /** Current resources by xDS name. */
  resources(): ReadonlyMap<string, CachedResource>;
  /** Brings the named resources up to date; returns those whose version changed or that went away. */
  refresh(names: ReadonlySet<string>): ReadonlySet<string>;
  /** Names that may have changed; the server collects them and calls refresh() after a quiet period. */
  onChange(listener: (names: ReadonlySet<string>) => void): () => void;
  stop(): void;
}

export interface IndexView<T> {
  readonly synced: Promise<void>;
  current(): ReadonlyMap<string, T>;
  onChange(listener: (names: ReadonlySet<string>) => void): () => void;
}

function cachedSource<T>(typeUrl: string, kind: string, index: IndexView<T>,
  cache: { update(current: ReadonlyMap<string, T>, names: Iterable<string> | 'all'): CacheUpdate; resources(): ReadonlyMap<string, CachedResource> },
  logger: Logger): ResourceSource {
  const report = (failed: readonly { name: string; error: string }[]): void => {
    for (const f of failed.slice(0, 20)) logger.error(`xDS: cannot encode ${kind} ${JSON.stringify(f.name)}: ${f.error}; clients keep its previous version`);
    if (failed.length > 20) logger.error(`xDS: ${failed.length - 20} more ${kind} resources could not be encoded`);
  };
  let stopped = false;
  const synced = index.synced.then(() => {
    if (!stopped) report(cache.update(index.current(), 'all').failed);
  });
  return {
    typeUrl,
    synced,
    resources: () => cache.resources(),
    refresh: (names) => {
      const update = cache.update(index.current(), names);
      report(update.failed);
      return update.changed;
    },
    onChange: (listener) => index.onChange(listener),
    stop: () => { stopped = true; },
  };
}

/** The Address type (Workloads and Services) over the model's index, encoded with `encode`. */
export function addressSource(index: AddressIndex, encode: (address: Address) => Buffer, logger: Logger): ResourceSource {
  const view = { synced: index.synced, current: () => index.addresses(), onChange: index.onChange.bind(index) };
  return cachedSource(ADDRESS_TYPE_URL, 'Address', view, new AddressResourceCache(encode), logger);
}

/** The Authorization type (L4 policies) over the policy index, encoded with `encode`. */
export function authorizationSource(index: PolicyIndex, encode: (policy: Authorization) => Buffer, logger: Logger): ResourceSource {
  const view = { synced: index.synced, current: () => index.authorizations(), onChange: index.onChange.bind(index) };
  const cache = new ResourceCache<Authorization>({ name: authorizationResourceName, aliases: () => [], encode });
  return cachedSource(AUTHORIZATION_TYPE_URL, 'Authorization', view, cache, logger);
}

/** ambit's WaypointConfig type (one resource per waypoint Gateway) over the waypoint config index. */
export function waypointConfigSource(index: IndexView<WaypointConfig>, encode: (config: WaypointConfig) => Buffer, logger: Logger): ResourceSource {
  const cache = new ResourceCache<WaypointConfig>({ name: waypointConfigName, aliases: () => [], encode });
  return cachedSource(WAYPOINT_CONFIG_TYPE_URL, 'WaypointConfig', index, cache, logger);
}

const NO_RESOURCES: ReadonlyMap<string, CachedResource> = new Map();

/** A type with no resources yet: subscribers get an empty first response (and nothing more). */
export function emptySource(typeUrl: string): ResourceSource {
  return {
    typeUrl,
    synced: Promise.resolve(),
    resources: () => NO_RESOURCES,
    refresh: () => new Set<string>(),
    onChange: () => () => undefined,
    stop: () => undefined,
  };
}
