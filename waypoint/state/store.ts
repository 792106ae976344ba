// The waypoint's state store (implements WaypointView): the workloads and Services istiod sends as
// Address resources (by uid, IP, key and VIP, with each Service's endpoints) and this waypoint's
// own WaypointConfig. Its writers are the two xDS handlers: a push is decoded and checked whole
// and either rejected whole — the NACK lists every problem, the last good state stays — or applied
// in one synchronous step, after which caches are dropped and listeners told once.

import { unmappedIp } from '../../pkg/api/ip-bytes';
import { isIP } from 'node:net';
import { decodeWaypointConfig } from '../../pkg/api/waypoint-codec';
import { backendName, DEFAULT_CONNECTION_POOL, waypointConfigName, type Backend, type WaypointConfig } from '../../pkg/api/waypoint-types';
import { decodeAddress } from '../../pkg/api/workload-codec';
import { addressResourceName, type Address, type PortMapping, type Service, type Workload } from '../../pkg/api/workload-types';
import type { Logger } from '../../pkg/log/logger';
import { ADDRESS_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL, type ApplyResult, type TypeHandler } from '../../pkg/xds/types';
import { bindingsOf, hostnameOfKey, type Bindings } from './bindings';
import { ClaimIndex } from './claim-index';
import { decodePush, joinProblems, shownName, type PushDecoder, type Update } from './decode-push';
import { backendEndpoints, endpointOf, workloadIdentity, workloadPortProtocol } from './endpoints';
import type { Endpoint, StreamTarget, WaypointView } from './view';

/** A type handler that names the resources it wants (an empty list: wildcard). */
export interface NamedTypeHandler extends TypeHandler {
  readonly resourceNames: readonly string[];
}

export interface WaypointStoreOptions {
  /** The WaypointConfig resource this waypoint serves, "<namespace>/<gateway>". */
  readonly configName: string;
  /** Where a listener's exception is reported (listeners must not break a push). */
  readonly logger?: Logger;
}

const MAX_CACHED_TARGETS = 4096;

const ADDRESS_DECODER: PushDecoder<Address> = {
  typeUrl: ADDRESS_TYPE_URL,
  decode(bytes) {
    const d = decodeAddress(bytes);
    return d.ok ? { ok: true, value: d.address } : d;
  },
  misnamed(address, name) {
    const expected = addressResourceName(address);
    return expected === name ? undefined : `the resource name does not match its ${address.kind} (expected ${shownName(expected)})`;
  },
};

const CONFIG_DECODER: PushDecoder<WaypointConfig> = {
  typeUrl: WAYPOINT_CONFIG_TYPE_URL,
  decode(bytes) {
    const d = decodeWaypointConfig(bytes);
    return d.ok ? { ok: true, value: d.value } : { ok: false, error: joinProblems(d.errors, 2048) };
  },
  misnamed(config, name) {
    const expected = waypointConfigName(config);
    return expected === name ? undefined : `the resource name must be the config's namespace/name (${shownName(expected)})`;
  },
};


export class WaypointStore implements WaypointView {
  readonly addressHandler: TypeHandler;
  readonly configHandler: NamedTypeHandler;
  private readonly configName: string;
  private readonly logger: Logger | undefined;
  private readonly workloads = new Map<string, Workload>();
  private readonly services = new Map<string, Service>();
  private readonly addressVersions = new Map<string, string>();
  private readonly workloadIps = new ClaimIndex();
  private readonly serviceVips = new ClaimIndex();
  /** Service key → workload uid → that workload's port mappings for it. */
  private readonly members = new Map<string, Map<string, readonly PortMapping[]>>();
  private held: { readonly version: string; readonly config: WaypointConfig } | undefined;
  private bindings: Bindings = bindingsOf(undefined);
  private readonly listeners = new Set<() => void>();
  private endpointCache = new WeakMap<Backend, readonly Endpoint[]>();
  private targetCache = new Map<string, StreamTarget>();
  private pushes = 0;

  constructor(options: WaypointStoreOptions) {
    this.configName = options.configName;
    this.logger = options.logger;
    this.addressHandler = Object.freeze({
      typeUrl: ADDRESS_TYPE_URL,
      apply: (update: Update): ApplyResult => this.applyAddresses(update),
      versions: (): ReadonlyMap<string, string> => new Map(this.addressVersions),
    });
    this.configHandler = Object.freeze({
      typeUrl: WAYPOINT_CONFIG_TYPE_URL,
      resourceNames: Object.freeze([options.configName]),
      apply: (update: Update): ApplyResult => this.applyConfig(update),
      versions: (): ReadonlyMap<string, string> => new Map(this.held ? [[this.configName, this.held.version]] : []),
    });
  }

  /** Applied pushes so far (both types). */
  get version(): number {
    return this.pushes;
  }

  config(): WaypointConfig | undefined {
    return this.held?.config;
  }

  backend(name: string): Backend | undefined {
    return this.bindings.backends.get(name);
  }

  workloadByUid(uid: string): Workload | undefined {
    return this.workloads.get(uid);
  }

  workloadByAddress(ip: string): Workload | undefined {
    const uid = this.workloadIps.get(unmappedIp(ip));
    return uid === undefined ? undefined : this.workloads.get(uid);
  }

  /** The SPIFFE identity of the workload at an address (undefined when unknown). */
  identityAt(ip: string): string | undefined {
    const w = this.workloadByAddress(ip);
    return w ? workloadIdentity(w) : undefined;
  }

  serviceByKey(key: string): Service | undefined {
    return this.services.get(key);
  }

  serviceByVip(ip: string): Service | undefined {
    const key = this.serviceVips.get(unmappedIp(ip));
    return key === undefined ? undefined : this.services.get(key);
  }

  allWorkloads(): readonly Workload[] {
    return [...this.workloads.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  }

  allServices(): readonly Service[] {
    return [...this.services.keys()].sort().map((k) => this.services.get(k) as Service);
  }

  resolveTarget(host: string, port: number): StreamTarget | undefined {
    if (!this.held) return undefined;
    const cacheKey = `${host}|${port}`;
    const cached = this.targetCache.get(cacheKey);
    if (cached) return cached;
    const target = this.lookupTarget(host, port);
    if (target && this.targetCache.size < MAX_CACHED_TARGETS) this.targetCache.set(cacheKey, target);
    return target;
  }

  endpoints(backend: Backend): readonly Endpoint[] {
    let cached = this.endpointCache.get(backend);
    if (!cached) {
      cached = Object.freeze(backendEndpoints(backend, this.members.get(backend.serviceKey), this.workloads, this.services.get(backend.serviceKey)));
      this.endpointCache.set(backend, cached);
    }
    return cached;
  }

  /**
   * Endpoints of a mesh Service port by host (a VIP, the Service's hostname, or a shorter form of
   * it: "name.ns", "name.ns.svc"), bound to this waypoint or not; undefined when no Service has that
   * host. How the waypoint reaches mesh Services for itself (a JWKS fetch), through HBONE.
   */
  meshEndpoints(rawHost: string, port: number): readonly Endpoint[] | undefined {
    const host = unmappedIp(rawHost).toLowerCase().replace(/\.$/, '');
    let key = isIP(host) !== 0 ? this.serviceVips.get(host) : undefined;
    if (key === undefined && isIP(host) === 0) {
      for (const [k, svc] of this.services) {
        const h = svc.hostname.toLowerCase();
        if (h === host || (h.startsWith(`${host}.`) && host.includes('.'))) { key = k; break; }
      }
    }
    if (key === undefined) return undefined;
    const backend: Backend = {
      name: backendName(key, port), serviceKey: key, port, lb: { kind: 'round_robin' }, pool: DEFAULT_CONNECTION_POOL, policySource: '',
    };
    return backendEndpoints(backend, this.members.get(key), this.workloads, this.services.get(key));
  }

  onChange(listener: () => void): () => void {
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  private lookupTarget(rawHost: string, port: number): StreamTarget | undefined {
    const host = unmappedIp(rawHost);
    if (isIP(host) !== 0) {
      const vipOwner = this.serviceVips.get(host);
      if (vipOwner !== undefined) {
        const t = this.serviceTarget(vipOwner, port);
        if (t) return t;
      }
      const uid = this.workloadIps.get(host);
      const w = uid === undefined ? undefined : this.workloads.get(uid);
      if (!w || !this.bindings.workloads.has(w.uid)) return undefined;
      const endpoint = endpointOf(w, port);
      return endpoint ? Object.freeze({ kind: 'workload', endpoint, port, protocol: workloadPortProtocol(w, port) }) : undefined;
    }
    const key = this.bindings.hostnames.get(host.toLowerCase().replace(/\.$/, ''));
    return key === undefined ? undefined : this.serviceTarget(key, port);
  }

  private serviceTarget(key: string, port: number): StreamTarget | undefined {
    const routes = this.bindings.ports.get(key)?.get(port);
    if (!routes) return undefined;
    const svc = this.services.get(key);
    const hostname = svc?.hostname ?? hostnameOfKey(key);
    return Object.freeze({
      kind: 'service',
      serviceKey: key,
      serviceName: svc?.name ?? (hostname.split('.')[0] as string),
      serviceNamespace: svc?.namespace ?? key.slice(0, Math.max(0, key.indexOf('/'))),
      hostname,
      port,
      routes,
    });
  }

  private applyAddresses(update: Update): ApplyResult {
    const decoded = decodePush(update, ADDRESS_DECODER);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    // From here on nothing can fail: the whole push lands in this synchronous step.
    for (const name of decoded.removed) this.removeAddress(name);
    for (const { name, version, value } of decoded.upserts) {
      this.removeAddress(name);
      this.addressVersions.set(name, version);
      if (value.kind === 'workload') {
        const w = value.workload;
        this.workloads.set(name, w);
        this.workloadIps.claim(name, w.addresses);
        for (const [serviceKey, ports] of Object.entries(w.services)) {
          let m = this.members.get(serviceKey);
          if (!m) this.members.set(serviceKey, (m = new Map()));
          m.set(name, ports);
        }
      } else {
        this.services.set(name, value.service);
        this.serviceVips.claim(name, value.service.addresses.map((a) => a.address));
      }
    }
    this.changed();
    return { ok: true };
  }

  private removeAddress(name: string): void {
    this.addressVersions.delete(name);
    const w = this.workloads.get(name);
    if (w) {
      this.workloads.delete(name);
      this.workloadIps.withdraw(name, w.addresses);
      for (const serviceKey of Object.keys(w.services)) {
        const m = this.members.get(serviceKey);
        m?.delete(name);
        if (m && m.size === 0) this.members.delete(serviceKey);
      }
    }
    const s = this.services.get(name);
    if (s) {
      this.services.delete(name);
      this.serviceVips.withdraw(name, s.addresses.map((a) => a.address));
    }
  }

  private applyConfig(update: Update): ApplyResult {
    // Only our own resource counts: a server answering a wildcard subscription may send others.
    const ours: Update = {
      resources: update.resources.filter((r) => r.name === this.configName),
      removed: update.removed.filter((n) => n === this.configName),
    };
    const decoded = decodePush(ours, CONFIG_DECODER);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    const upsert = decoded.upserts[0];
    if (upsert) this.held = { version: upsert.version, config: upsert.value };
    else if (decoded.removed.length > 0) this.held = undefined;
    this.bindings = bindingsOf(this.held?.config);
    this.changed();
    return { ok: true };
  }

  private changed(): void {
    this.endpointCache = new WeakMap();
    this.targetCache = new Map();
    this.pushes++;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.logger?.error(`waypoint state: a change listener failed (ignored): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  }
}
