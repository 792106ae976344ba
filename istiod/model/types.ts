// The contract between istiod's ambient model (Kubernetes → Workload/Service, istiod/model) and
// its delta xDS server (istiod/xds): the current set of Address resources by xDS name and a
// change feed naming what changed, so the server encodes and pushes only those.

import type { Address } from '../../pkg/api/workload-types';

export interface AddressIndex {
  /** Resolves after the first list of every watched kind has been folded in. */
  readonly synced: Promise<void>;
  /** Current Address resources keyed by xDS resource name (workload uid, or "ns/hostname"). */
  addresses(): ReadonlyMap<string, Address>;
  /**
   * Called after the index changed, with the names that were added, changed or removed (a name
   * absent from addresses() was removed). Calls may be frequent; the server debounces.
   */
  onChange(listener: (names: ReadonlySet<string>) => void): () => void;
  stop(): Promise<void>;
}
