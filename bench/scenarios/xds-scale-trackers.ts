// Turns the xDS client agent's events into measurements (pure, fed one event at a time): when
// every client finished its initial sync, when every client held a given number of Addresses
// (convergence after bulk writes), and when every client had applied one change — by resource
// name, counting only responses stamped at or after the change's t0.

import type { ClientEvent } from '../agents/xds-clients-protocol';
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

export interface ChangeExpectation {
  readonly id: number;
  readonly kind: ChangeKind;
  /** Wall-clock ms just before the write. */
  readonly t0: number;
  /** Names every client must receive as added/changed, and as removed. */
  readonly updated: readonly string[];
  readonly removed: readonly string[];
}

export interface ChangeResult {
  readonly id: number;
  readonly kind: ChangeKind;
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
}

interface PerClient {
  readonly updated: Set<string>;
  readonly removed: Set<string>;
  responses: number;
  doneAt?: number;
  bytesAtDone?: number;
}

export class ChangeTracker {
  private readonly perClient: PerClient[];

  /** `baselineBytes`: each client's cumulative bytes just before t0 (ClientBytes.snapshot()). */
  constructor(readonly change: ChangeExpectation, private readonly baselineBytes: readonly number[]) {
    this.perClient = baselineBytes.map(() => ({ updated: new Set(change.updated), removed: new Set(change.removed), responses: 0 }));
  }

  feed(ev: ClientEvent): void {
    if (ev.e !== 'applied' || ev.type !== 'Address' || ev.t < this.change.t0) return;
    const p = this.perClient[ev.c];
    if (!p || p.doneAt !== undefined) return;
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

  done(): boolean {
    return this.perClient.every((p) => p.doneAt !== undefined);
  }

  result(): ChangeResult {
    const finished = this.perClient.map((p, c) => ({ p, c })).filter(({ p }) => p.doneAt !== undefined);
    const perClientMs = finished.map(({ p }) => Math.round(((p.doneAt as number) - this.change.t0) * 10) / 10);
    const bytes = finished.map(({ p, c }) => (p.bytesAtDone as number) - (this.baselineBytes[c] ?? 0));
    const mean = (v: readonly number[]): number | null => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);
    return {
      id: this.change.id,
      kind: this.change.kind,
      clients: this.perClient.length,
      clientsDone: finished.length,
      allClientsMs: this.done() ? Math.max(...perClientMs) : null,
      firstClientMs: perClientMs.length > 0 ? Math.min(...perClientMs) : null,
      perClientMs,
      bytesPerClient: mean(bytes),
      responsesPerClient: mean(finished.map(({ p }) => p.responses)),
    };
  }
}
