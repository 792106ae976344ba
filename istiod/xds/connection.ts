// One delta ADS stream after authentication: the client's node, and per type URL its
// subscription, what it holds, what it refused, and at most one response awaiting its ACK.
// Changes arriving while a response is unacknowledged are remembered (names, or "everything"
// past a cap) and sent — recomputed against the then-current resources — once the ACK or NACK
// arrives, so memory per client stays bounded and a slow client never gets stale intermediate
// versions. Decisions are the pure functions of delta-plan.ts; sending is a callback.

import type { Logger } from '../../pkg/log/logger';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../pkg/xds/types';
import {
  acknowledge, applySubscription, forgetUnwanted, NO_SUBSCRIPTION, planDelta, reject, type InFlight, type Subscription,
} from './delta-plan';
import { shortType, type XdsMetrics } from './metrics';
import type { ResourceSource } from './sources';

/** Past this many remembered changed names a client is simply compared in full. */
export const MAX_DIRTY_NAMES = 20_000;
/** Unknown type URLs answered per stream (later ones are ignored). */
export const MAX_UNKNOWN_TYPES_PER_STREAM = 8;

export interface ConnectionContext {
  readonly sources: ReadonlyMap<string, ResourceSource>;
  isSynced(typeUrl: string): boolean;
  readonly metrics: XdsMetrics;
  readonly logger: Logger;
  /** Responses are split beyond about this many encoded bytes. */
  readonly maxResponseBytes: number;
  /** Called for a type URL the server does not serve (the server logs each one once). */
  unknownType(typeUrl: string, nodeId: string): void;
  /** The server's current push version (systemVersionInfo). */
  version(): string;
}

interface TypeState {
  readonly typeUrl: string;
  readonly source: ResourceSource;
  subscription: Subscription;
  readonly held: Map<string, string>;
  readonly rejected: Map<string, string>;
  inFlight?: InFlight;
  /** Changes not yet compared: names, everything, or none. */
  dirty: Set<string> | 'all' | undefined;
  readonly newlySubscribed: Set<string>;
  initialSent: boolean;
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}...` : text);

export class XdsConnection {
  private node = '';
  private started = false;
  private readonly types = new Map<string, TypeState>();
  private readonly unknownAnswered = new Set<string>();
  private counter = 0;
  private responses = 0;
  private closed = false;

  constructor(
    readonly id: string,
    /** "<caller> from <peer>" for log lines. */
    readonly who: string,
    private readonly ctx: ConnectionContext,
    private readonly send: (response: DeltaDiscoveryResponse) => void,
  ) {}

  /** The client's node id (from its first request), clipped for logs. */
  get nodeId(): string {
    return this.node || `(no node id, ${this.who})`;
  }

  handle(request: DeltaDiscoveryRequest): void {
    if (this.closed) return;
    if (!this.started) {
      this.started = true;
      this.node = clip(request.node?.id ?? '', 256);
      this.ctx.logger.info(`xDS: ${this.nodeId} connected (${this.who})`);
    }
    const source = this.ctx.sources.get(request.typeUrl);
    if (!source) {
      this.answerUnknown(request.typeUrl);
      return;
    }
    let state = this.types.get(request.typeUrl);
    const first = !state;
    if (!state) {
      state = {
        typeUrl: request.typeUrl, source, subscription: NO_SUBSCRIPTION,
        held: new Map(Object.entries(request.initialResourceVersions)), rejected: new Map(),
        dirty: 'all', newlySubscribed: new Set(), initialSent: false,
      };
      this.types.set(request.typeUrl, state);
    }

    if (request.responseNonce !== '' && state.inFlight?.nonce === request.responseNonce) {
      const response = state.inFlight;
      state.inFlight = undefined;
      if (request.errorDetail) {
        reject(state.rejected, response);
        this.ctx.metrics.nacks.inc({ type: shortType(state.typeUrl) });
        this.ctx.logger.warn(`xDS NACK from ${this.nodeId} for ${shortType(state.typeUrl)} (nonce ${response.nonce}, ${response.versions.size} resources, `
          + `${response.removed.length} removals): ${clip(request.errorDetail.message, 1000)}; the client keeps its previous config; `
          + 'those resources are resent when they change');
      } else {
        acknowledge(state.held, state.rejected, response);
      }
    }

    const change = applySubscription(state.subscription, request.resourceNamesSubscribe, request.resourceNamesUnsubscribe, first);
    if (change.changed) {
      state.subscription = change.subscription;
      forgetUnwanted(state.held, state.rejected, state.subscription, source.resources(), change.dropped);
      for (const name of change.added) state.newlySubscribed.add(name);
      for (const name of change.dropped) state.newlySubscribed.delete(name);
      state.dirty = 'all';
      if (first) {
        const what = state.subscription.wildcard ? 'all resources' : `${state.subscription.names.size} names`;
        this.ctx.logger.info(`xDS: ${this.nodeId} subscribed to ${shortType(state.typeUrl)} (${what}; holds ${state.held.size})`);
      }
    }
    this.maybeSend(state);
  }

  /** Resources of `typeUrl` changed (names from the source's refresh). */
  push(typeUrl: string, changed: ReadonlySet<string>): void {
    const state = this.types.get(typeUrl);
    if (!state || this.closed || changed.size === 0) return;
    if (state.dirty !== 'all') {
      const dirty = state.dirty ?? new Set<string>();
      for (const name of changed) dirty.add(name);
      state.dirty = dirty.size > MAX_DIRTY_NAMES ? 'all' : dirty;
    }
    this.maybeSend(state);
  }

  /** The source of `typeUrl` has synced: answer subscriptions that were waiting for it. */
  sourceSynced(typeUrl: string): void {
    const state = this.types.get(typeUrl);
    if (state && !this.closed) this.maybeSend(state);
  }

  close(): void {
    this.closed = true;
  }

  /** Response count and subscribed types, for the disconnect log line. */
  summary(): string {
    return `${this.responses} responses; types ${[...this.types.keys()].map(shortType).join(', ') || 'none'}`;
  }

  private maybeSend(state: TypeState): void {
    if (state.inFlight || state.dirty === undefined || !this.ctx.isSynced(state.typeUrl)) return;
    const plan = planDelta({
      resources: state.source.resources(), subscription: state.subscription, held: state.held, rejected: state.rejected,
      scope: state.dirty, newlySubscribed: state.newlySubscribed, maxBytes: this.ctx.maxResponseBytes,
    });
    state.dirty = plan.truncated ? 'all' : undefined;
    state.newlySubscribed.clear();
    if (plan.resources.length === 0 && plan.removed.length === 0 && state.initialSent) return;
    const nonce = this.nextNonce();
    state.inFlight = { nonce, versions: new Map(plan.resources.map((r) => [r.name, r.version])), removed: plan.removed };
    state.initialSent = true;
    this.emit({
      systemVersionInfo: this.ctx.version(), typeUrl: state.typeUrl, nonce, removedResources: plan.removed,
      resources: plan.resources.map((r) => ({ name: r.name, version: r.version, aliases: r.aliases, resource: { typeUrl: state.typeUrl, value: r.bytes } })),
    });
    const type = shortType(state.typeUrl);
    this.ctx.metrics.pushedResources.inc({ type }, plan.resources.length);
    this.ctx.metrics.pushedRemovals.inc({ type }, plan.removed.length);
  }

  private answerUnknown(typeUrl: string): void {
    if (this.unknownAnswered.has(typeUrl) || this.unknownAnswered.size >= MAX_UNKNOWN_TYPES_PER_STREAM) return;
    this.unknownAnswered.add(typeUrl);
    this.ctx.unknownType(typeUrl, this.nodeId);
    this.emit({ systemVersionInfo: this.ctx.version(), typeUrl, nonce: this.nextNonce(), resources: [], removedResources: [] });
  }

  private emit(response: DeltaDiscoveryResponse): void {
    this.responses++;
    this.send(response);
  }

  private nextNonce(): string {
    this.counter++;
    return `${this.id}-${this.counter}`;
  }
}
