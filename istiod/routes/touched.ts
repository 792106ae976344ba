// What one event changed in the waypoint model (pure data): the namespaces, pod namespaces and
// waypoints whose configs may need a rebuild, the resources whose status may need a write, and the
// rejection lines for istiod's log. Filled by route-state.ts and security-state.ts.

/** What one event changed. */
export interface Touched {
  readonly namespaces: Set<string>;
  readonly podNamespaces: Set<string>;
  readonly waypoints: Set<string>;
  /** Every waypoint may have changed. */
  all: boolean;
  /** Every object's status may have changed. */
  statuses: boolean;
  /** These objects' statuses may need a write (their stored status changed). */
  readonly statusKeys: Set<string>;
  /** RequestAuthentications whose status may need a write (security-state.ts authnStatusKey). */
  readonly authnStatusKeys: Set<string>;
  /** Rejections for istiod's log. */
  readonly log: string[];
}

export function emptyTouched(): Touched {
  return {
    namespaces: new Set(), podNamespaces: new Set(), waypoints: new Set(), all: false, statuses: false, statusKeys: new Set(),
    authnStatusKeys: new Set(), log: [],
  };
}
