// ztunnel's state store: the workloads and services istiod sends over xDS, indexed by uid, IP,
// VIP, service key, node and service endpoints. Its only writer is `addressHandler`: a push is
// decoded and checked whole (decode-push.ts) and either rejected whole — the NACK lists every
// problem — or applied in one synchronous step, after which the version is bumped and listeners
// are told once.

import { unmappedIp } from '../../pkg/api/ip-bytes';
import type { PortMapping, Service, Workload } from '../../pkg/api/workload-types';
import type { Logger } from '../../pkg/log/logger';
import { ADDRESS_TYPE_URL, type ApplyResult, type TypeHandler, type XdsResource } from '../../pkg/xds/types';
import { ClaimIndex } from './claim-index';
import { decodeAddressPush, type DecodedAddress } from './decode-push';
import type { Endpoint, StateView } from './types';

export interface StateStoreOptions {
  /** Where a listener's exception is reported (listeners must not break a push). */
  readonly logger?: Logger;
}

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

const serviceKeyOf = (s: Service): string => `${s.namespace}/${s.hostname}`;

/** An IPv4-mapped IPv6 address (how a dual-stack socket reports IPv4 peers) as plain IPv4. */

export class StateStore implements StateView {
  readonly addressHandler: TypeHandler;
  private currentVersion = 0;
  private readonly workloads = new Map<string, Workload>();
  private readonly services = new Map<string, Service>();
  private readonly resourceVersions = new Map<string, string>();
  private readonly workloadIps = new ClaimIndex();
  private readonly serviceVips = new ClaimIndex();
  /** service key → workload uid → that workload's port mappings for it. */
  private readonly endpoints = new Map<string, Map<string, readonly PortMapping[]>>();
  /** node name → uids of workloads on it. */
  private readonly nodes = new Map<string, Set<string>>();
  private readonly listeners = new Set<(version: number) => void>();
  // Sorted views, rebuilt lazily after a push.
  private endpointCache = new Map<string, readonly Endpoint[]>();
  private nodeCache = new Map<string, readonly Workload[]>();
  private allWorkloadsCache: readonly Workload[] | undefined;
  private allServicesCache: readonly Service[] | undefined;
  private readonly logger: Logger | undefined;

  constructor(options: StateStoreOptions = {}) {
    this.logger = options.logger;
    this.addressHandler = Object.freeze({
      typeUrl: ADDRESS_TYPE_URL,
      apply: (update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult => this.apply(update),
      versions: (): ReadonlyMap<string, string> => new Map(this.resourceVersions),
    });
  }

  get version(): number {
    return this.currentVersion;
  }

  workloadByUid(uid: string): Workload | undefined {
    return this.workloads.get(uid);
  }

  workloadByAddress(ip: string): Workload | undefined {
    const uid = this.workloadIps.get(unmappedIp(ip));
    return uid === undefined ? undefined : this.workloads.get(uid);
  }

  serviceByVip(ip: string): Service | undefined {
    const key = this.serviceVips.get(unmappedIp(ip));
    return key === undefined ? undefined : this.services.get(key);
  }

  serviceByKey(key: string): Service | undefined {
    return this.services.get(key);
  }

  endpointsOf(serviceKey: string): readonly Endpoint[] {
    let cached = this.endpointCache.get(serviceKey);
    if (!cached) {
      const members = this.endpoints.get(serviceKey);
      const list: Endpoint[] = [];
      for (const uid of [...(members?.keys() ?? [])].sort()) {
        const workload = this.workloads.get(uid);
        if (workload) list.push(Object.freeze({ workload, ports: members?.get(uid) ?? [] }));
      }
      cached = Object.freeze(list);
      this.endpointCache.set(serviceKey, cached);
    }
    return cached;
  }

  workloadsOnNode(node: string): readonly Workload[] {
    let cached = this.nodeCache.get(node);
    if (!cached) {
      const uids = [...(this.nodes.get(node) ?? [])].sort();
      cached = Object.freeze(uids.map((uid) => this.workloads.get(uid)).filter((w): w is Workload => w !== undefined));
      this.nodeCache.set(node, cached);
    }
    return cached;
  }

  allWorkloads(): readonly Workload[] {
    this.allWorkloadsCache ??= Object.freeze([...this.workloads.values()].sort(byKey((w) => w.uid)));
    return this.allWorkloadsCache;
  }

  allServices(): readonly Service[] {
    this.allServicesCache ??= Object.freeze([...this.services.values()].sort(byKey(serviceKeyOf)));
    return this.allServicesCache;
  }

  onChange(listener: (version: number) => void): () => void {
    // Wrapped so the same function subscribed twice gets two independent subscriptions.
    const entry = (v: number): void => listener(v);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** name → version held (what a reconnecting client reports as initial_resource_versions). */
  versions(): ReadonlyMap<string, string> {
    return new Map(this.resourceVersions);
  }

  private apply(update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult {
    const decoded = decodeAddressPush(update);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    // From here on nothing can fail: the whole push lands in this synchronous step.
    for (const name of decoded.removed) this.remove(name);
    for (const item of decoded.upserts) this.upsert(item);
    this.endpointCache = new Map();
    this.nodeCache = new Map();
    this.allWorkloadsCache = undefined;
    this.allServicesCache = undefined;
    this.currentVersion++;
    const version = this.currentVersion;
    for (const listener of [...this.listeners]) {
      try {
        listener(version);
      } catch (err) {
        this.logger?.error(`state store: a change listener failed (ignored): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
    return { ok: true };
  }

  private upsert({ name, version, address }: DecodedAddress): void {
    this.remove(name);
    this.resourceVersions.set(name, version);
    if (address.kind === 'workload') {
      const w = address.workload;
      this.workloads.set(name, w);
      this.workloadIps.claim(name, w.addresses);
      for (const [serviceKey, ports] of Object.entries(w.services)) {
        let members = this.endpoints.get(serviceKey);
        if (!members) this.endpoints.set(serviceKey, (members = new Map()));
        members.set(name, ports);
      }
      let onNode = this.nodes.get(w.node);
      if (!onNode) this.nodes.set(w.node, (onNode = new Set()));
      onNode.add(name);
    } else {
      const s = address.service;
      this.services.set(name, s);
      this.serviceVips.claim(name, s.addresses.map((a) => a.address));
    }
  }

  /** Removes whatever `name` is (workload or service); unknown names are ignored. */
  private remove(name: string): void {
    this.resourceVersions.delete(name);
    const w = this.workloads.get(name);
    if (w) {
      this.workloads.delete(name);
      this.workloadIps.withdraw(name, w.addresses);
      for (const serviceKey of Object.keys(w.services)) {
        const members = this.endpoints.get(serviceKey);
        members?.delete(name);
        if (members && members.size === 0) this.endpoints.delete(serviceKey);
      }
      const onNode = this.nodes.get(w.node);
      onNode?.delete(name);
      if (onNode && onNode.size === 0) this.nodes.delete(w.node);
    }
    const s = this.services.get(name);
    if (s) {
      this.services.delete(name);
      this.serviceVips.withdraw(name, s.addresses.map((a) => a.address));
    }
  }
}
