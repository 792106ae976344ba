// Turns the xDS client agent's events into measurements (pure, fed one event at a time): when
// every client finished its initial sync, when every client held a given number of Addresses
// (convergence after bulk writes), and when every client had applied one change — by resource
// name and xDS type, counting only responses stamped at or after the change's t0 — plus, beside a
// policy change, when every client had the selected Workloads listing (or no longer listing) it.

import type { AppliedEvent, ClientEvent, XdsTypeName } from '../agents/xds-clients-protocol';
import type { ChangeKind } from './xds-scale-plan';

/** The last cumulative byte count seen per client (what a change's bytes are measured from). */
export class ClientBytes {
  private readonly last: number[];

  constructor(clients: number) {
    this.last = Array.from({ length: clients }, () => 0);
  }

  feed(ev: ClientEvent): void {
    if ((ev.e === 'applied' || ev.e === 'synced') && ev.c < this.last.length) this.last[ev.c] = Math.max(this.last[ev.c] ?? 0, ev.bytes);
  }

  snapshot(): number[] {
    return [...this.last];
  }
}

export interface SyncResult {
  readonly clients: number;
  readonly synced: number;
  /** From the agent's start to each client's sync, ms (synced clients only). */
  readonly perClientMs: readonly number[];
  /** From the agent's start until the last client synced; null if some never did. */
  readonly allMs: number | null;
  /** Addresses each synced client held at sync. */
  readonly held: readonly number[];
  /** Bytes each synced client had received at sync. */
  readonly bytes: readonly number[];
  readonly nacks: number;
}

export class SyncTracker {
  private start: number | undefined;
  private readonly at = new Map<number, { t: number; held: number; bytes: number }>();
  private nacks = 0;

  constructor(readonly clients: number) {}

  feed(ev: ClientEvent): void {
    if (ev.e === 'start') this.start ??= ev.t;
    else if (ev.e === 'synced' && ev.c < this.clients && !this.at.has(ev.c)) this.at.set(ev.c, { t: ev.t, held: ev.held, bytes: ev.bytes });
    else if (ev.e === 'nack') this.nacks++;
  }

  done(): boolean {
    return this.start !== undefined && this.at.size === this.clients;
  }

  result(): SyncResult {
    const start = this.start ?? 0;
    const rows = [...this.at.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    const perClientMs = rows.map((r) => Math.round((r.t - start) * 10) / 10);
    return {
      clients: this.clients,
      synced: rows.length,
      perClientMs,
      allMs: this.done() ? Math.max(...perClientMs) : null,
      held: rows.map((r) => r.held),
      bytes: rows.map((r) => r.bytes),
      nacks: this.nacks,
    };
  }
}

/** When every client holds exactly `expected` Addresses (after a burst of writes). */
export class ConvergeTracker {
  private readonly held = new Map<number, { held: number; t: number }>();
  private doneAt: number | undefined;

  constructor(readonly clients: number, readonly expected: number) {}

  feed(ev: ClientEvent): void {
    if (ev.e !== 'applied' || ev.type !== 'Address' || ev.c >= this.clients) return;
    this.held.set(ev.c, { held: ev.held, t: ev.t });
    if (this.doneAt === undefined && this.held.size === this.clients && [...this.held.values()].every((h) => h.held === this.expected)) {
      this.doneAt = Math.max(...[...this.held.values()].map((h) => h.t));
    }
  }

  /** The time the last client reached the expected count; undefined until then. */
  convergedAt(): number | undefined {
    return this.doneAt;
  }

  /** Smallest and largest count the clients hold now. */
  heldRange(): { min: number; max: number } {
    const v = [...this.held.values()].map((h) => h.held);
    return v.length === 0 ? { min: 0, max: 0 } : { min: Math.min(...v), max: Math.max(...v) };
  }
}

/**
 * Workloads whose `authorizationPolicies` must list `policy` (or, with `listed: false`, must no
 * longer list it) — observed beside a change, not part of when it is done.
 */
export interface WorkloadPolicyExpectation {
  readonly workloads: readonly string[];
  readonly policy: string;
  readonly listed: boolean;
}

export interface ChangeExpectation {
  readonly id: number;
  readonly kind: ChangeKind;
  /** Wall-clock ms just before the write. */
  readonly t0: number;
  /** The xDS type of `updated` and `removed` (default Address). */
  readonly type?: XdsTypeName;
  /** Names every client must receive as added/changed, and as removed. */
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  readonly workloadPolicies?: WorkloadPolicyExpectation;
  /** What exactly was written (e.g. the policy's scope and name), for the report. */
  readonly detail?: string;
}

/** When every client had the Workloads of a WorkloadPolicyExpectation. */
export interface WorkloadPolicyResult {
  readonly workloads: number;
  readonly listed: boolean;
  readonly clientsDone: number;
  /** t0 → the last client had every Workload as expected; null when some client never did. */
  readonly allClientsMs: number | null;
}

export interface ChangeResult {
  readonly id: number;
  readonly kind: ChangeKind;
  readonly detail?: string;
  readonly clients: number;
  readonly clientsDone: number;
  /** t0 → the last client applied everything; null when some client never did. */
  readonly allClientsMs: number | null;
  /** t0 → the first client applied everything. */
  readonly firstClientMs: number | null;
  /** Per client, t0 → done (clients that finished). */
  readonly perClientMs: readonly number[];
  /** Mean bytes a client received for this change (finished clients). */
  readonly bytesPerClient: number | null;
  /** Responses a client applied for it (mean). */
  readonly responsesPerClient: number | null;
  readonly workloadPolicies?: WorkloadPolicyResult;
  /** The write that undid the change (a policy deleted), timed the same way. */
  readonly revert?: RevertResult;
}

export type RevertResult = Pick<ChangeResult, 'detail' | 'clientsDone' | 'allClientsMs' | 'workloadPolicies'>;

interface PerClient {
  readonly updated: Set<string>;
  readonly removed: Set<string>;
  readonly workloads: Set<string>;
  responses: number;
  doneAt?: number;
  bytesAtDone?: number;
  workloadsAt?: number;
}

const ms = (t: number, t0: number): number => Math.round((t - t0) * 10) / 10;

export class ChangeTracker {
  private readonly perClient: PerClient[];
  private readonly type: XdsTypeName;

  /** `baselineBytes`: each client's cumulative bytes just before t0 (ClientBytes.snapshot()). */
  constructor(readonly change: ChangeExpectation, private readonly baselineBytes: readonly number[]) {
    this.type = change.type ?? 'Address';
    this.perClient = baselineBytes.map(() => ({
      updated: new Set(change.updated), removed: new Set(change.removed), workloads: new Set(change.workloadPolicies?.workloads ?? []), responses: 0,
    }));
  }

  feed(ev: ClientEvent): void {
    if (ev.e !== 'applied' || ev.t < this.change.t0) return;
    const p = this.perClient[ev.c];
    if (!p) return;
    if (ev.type === 'Address') this.feedWorkloads(p, ev);
    if (ev.type !== this.type || p.doneAt !== undefined) return;
    let touched = false;
    for (const name of ev.names ?? []) touched = p.updated.delete(name) || touched;
    for (const name of ev.removed ?? []) touched = p.removed.delete(name) || touched;
    if (!touched) return;
    p.responses++;
    if (p.updated.size === 0 && p.removed.size === 0) {
      p.doneAt = ev.t;
      p.bytesAtDone = ev.bytes;
    }
  }

  private feedWorkloads(p: PerClient, ev: AppliedEvent): void {
    const want = this.change.workloadPolicies;
    if (!want || p.workloadsAt !== undefined || !ev.policies) return;
    for (const name of [...p.workloads]) {
      if (!Object.hasOwn(ev.policies, name)) continue;
      if ((ev.policies[name] ?? []).includes(want.policy) === want.listed) p.workloads.delete(name);
    }
    if (p.workloads.size === 0) p.workloadsAt = ev.t;
  }

  done(): boolean {
    return this.perClient.every((p) => p.doneAt !== undefined);
  }

  /** Every client had the expected Workloads too (true when none were expected). */
  workloadsDone(): boolean {
    return this.change.workloadPolicies === undefined || this.perClient.every((p) => p.workloadsAt !== undefined);
  }

  result(): ChangeResult {
    const finished = this.perClient.map((p, c) => ({ p, c })).filter(({ p }) => p.doneAt !== undefined);
    const perClientMs = finished.map(({ p }) => ms(p.doneAt as number, this.change.t0));
    const bytes = finished.map(({ p, c }) => (p.bytesAtDone as number) - (this.baselineBytes[c] ?? 0));
    const mean = (v: readonly number[]): number | null => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);
    const want = this.change.workloadPolicies;
    const workloadTimes = this.perClient.filter((p) => p.workloadsAt !== undefined).map((p) => ms(p.workloadsAt as number, this.change.t0));
    return {
      id: this.change.id,
      kind: this.change.kind,
      ...(this.change.detail !== undefined ? { detail: this.change.detail } : {}),
      clients: this.perClient.length,
      clientsDone: finished.length,
      allClientsMs: this.done() ? Math.max(...perClientMs) : null,
      firstClientMs: perClientMs.length > 0 ? Math.min(...perClientMs) : null,
      perClientMs,
      bytesPerClient: mean(bytes),
      responsesPerClient: mean(finished.map(({ p }) => p.responses)),
      ...(want ? {
        workloadPolicies: {
          workloads: want.workloads.length, listed: want.listed, clientsDone: workloadTimes.length,
          allClientsMs: this.workloadsDone() ? Math.max(...workloadTimes) : null,
        },
      } : {}),
    };
  }
}
