// The workload identities this node agent needs certificates for: those of the ambient (HBONE)
// workloads scheduled on its node, one entry per distinct SPIFFE ID, sorted. A workload whose
// namespace or service account cannot form a SPIFFE ID is reported instead of failing the rest.

import { formatSpiffeId, spiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import type { Workload } from '../../pkg/api/workload-types';
import type { StateView } from './types';

export interface LocalIdentities {
  readonly identities: readonly SpiffeId[];
  /** uids of local workloads whose identity is not a valid SPIFFE ID. */
  readonly invalid: readonly string[];
}

export function identityOf(w: Workload): SpiffeId | undefined {
  try {
    return spiffeId(w.trustDomain, w.namespace, w.serviceAccount);
  } catch {
    return undefined;
  }
}

export function localIdentities(state: StateView, nodeName: string): LocalIdentities {
  const byKey = new Map<string, SpiffeId>();
  const invalid: string[] = [];
  for (const w of state.workloadsOnNode(nodeName)) {
    if (w.tunnelProtocol !== 'HBONE') continue;
    const id = identityOf(w);
    if (id) byKey.set(formatSpiffeId(id), id);
    else invalid.push(w.uid);
  }
  const identities = [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  return { identities, invalid };
}
